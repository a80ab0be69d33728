/**
 * How an error appears in the log: its type, code and message, what it wraps (the same way),
 * and its stack only when it is a genuine internal error. Nothing else of it: a Sequelize error
 * carries the SQL, its bound parameters (token values, grant ids, payloads) and the driver's
 * error with both again; a validation error carries the values it refused.
 */
import { isStoreUnavailable } from '../adapters/store-unavailable.js';
import { isDomainError } from './errors.js';

export interface LoggedError {
  type: string;
  code?: string | number;
  message: string;
  stack?: string;
  cause?: LoggedError;
}

const MAX_DEPTH = 3;

interface ErrorFields {
  code?: unknown;
  error?: unknown;
  status?: unknown;
  expose?: unknown;
  parent?: unknown;
  original?: unknown;
  cause?: unknown;
}

function codeOf(error: Error & ErrorFields): string | number | undefined {
  // A Sequelize error keeps the SQLSTATE on the driver's error; an OAuth error its `error`.
  for (const candidate of [error.code, (error.parent as ErrorFields | undefined)?.code, error.error]) {
    if (typeof candidate === 'string' || typeof candidate === 'number') return candidate;
  }
  return undefined;
}

/** A client's mistake, a refusal or an outage is explained by its message; only a fault of ours needs its stack. */
function isInternal(error: Error & ErrorFields): boolean {
  if (error.expose === true || (typeof error.status === 'number' && error.status < 500)) return false;
  if (isDomainError(error)) return false;
  if (error.name === 'TRPCError' && error.code !== 'INTERNAL_SERVER_ERROR') return false;
  return !isStoreUnavailable(error);
}

/** `withinInternal`: whether every error wrapping this one is internal; what an outage or a refusal wraps needs no stack either. */
function serialize(error: Error & ErrorFields, depth: number, withinInternal: boolean): LoggedError {
  const code = codeOf(error);
  const inner = error.cause ?? error.parent ?? error.original;
  const internal = withinInternal && isInternal(error);
  return {
    type: error.name || error.constructor.name,
    ...(code === undefined ? {} : { code }),
    message: error.message,
    ...(internal && error.stack ? { stack: error.stack } : {}),
    ...(inner instanceof Error && depth < MAX_DEPTH ? { cause: serialize(inner, depth + 1, internal) } : {}),
  };
}

/** pino's `err` serializer. A string (some callers log only a message) is kept as it is. */
export function serializeError(value: unknown): unknown {
  if (value instanceof Error) return serialize(value, 0, true);
  if (typeof value === 'string' || value === null || value === undefined) return value;
  return { type: typeof value };
}
