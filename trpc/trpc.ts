/**
 * initTRPC, once: the builders every router uses, the error shape (no stack traces; invalid
 * input names its fields), and the base procedure that maps domain errors to tRPC codes.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { asStoreUnavailable, DomainError } from '../server/errors.js';
import type { Context } from './context.js';
import { refuseUnstorableInput } from './middleware/storable-input.js';

function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys')
        return `unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map((key) => (path ? `${path}.${key}` : key)).join(', ')}`;
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** What a client is told beside the code: the message, and the input field at fault if one is. */
export function describeError(error: TRPCError): { message: string; field?: string } {
  const zodError = error.cause instanceof ZodError ? error.cause : undefined;
  const field = zodError?.issues[0]?.path.join('.') || (error.cause instanceof DomainError ? error.cause.field : undefined);
  return { message: zodError ? describeZodError(zodError) : error.message, ...(field ? { field } : {}) };
}

/** What a procedure declares about itself: the scopes it needs, read by the REST API's OpenAPI document. */
export interface ProcedureMeta {
  scopes?: readonly string[];
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error }) {
      const { message, field } = describeError(error);
      return {
        ...shape,
        message,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...(field ? { field } : {}) },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** The tRPC error a domain error leaves as: its mapped code (server/errors.ts) and its safe message. */
export function trpcErrorOf(error: DomainError): TRPCError {
  return new TRPCError({ code: error.trpcCode, message: error.message, cause: error });
}

/**
 * Every procedure starts here: an input no store can hold is refused first, and a DomainError
 * from below leaves as its mapped tRPC code, as does a store outage (SERVICE_UNAVAILABLE).
 */
export const baseProcedure = t.procedure.use(refuseUnstorableInput).use(async ({ next }) => {
  const result = await next();
  const cause = result.ok
    ? undefined
    : result.error.cause instanceof DomainError
      ? result.error.cause
      : asStoreUnavailable(result.error.cause);
  if (cause) throw trpcErrorOf(cause);
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: result.error });
  }
  return result;
});

export const middleware = t.middleware;
