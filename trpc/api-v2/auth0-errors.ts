/**
 * Every refusal of the REST API in Auth0's error body, `{statusCode, error, message, errorCode}`.
 * Codes come from server/errors.ts's table (a DomainError's `auth0` column); a request that does not
 * parse names the part at fault, as Auth0's `invalid_body`, `invalid_query_string`, `invalid_uri` do.
 */
import { STATUS_CODES } from 'node:http';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/unstable-core-do-not-import';
import { ZodError } from 'zod';
import { retryAfterOf } from '../../server/abuse/retry-later.js';
import { asStoreUnavailable, DomainError, STORE_RETRY_AFTER_SECONDS } from '../../server/errors.js';
import { describeError } from '../trpc.js';

export interface Auth0ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errorCode?: string;
}

export interface Auth0Refusal {
  body: Auth0ErrorBody;
  retryAfter?: number;
}

/** The part of a request a validation error is in, and how Auth0 names and words it. */
export type RequestPart = 'uri' | 'query' | 'body';

const PART = {
  uri: { errorCode: 'invalid_uri', prefix: 'Path validation error' },
  query: { errorCode: 'invalid_query_string', prefix: 'Query validation error' },
  body: { errorCode: 'invalid_body', prefix: 'Payload validation error' },
} as const;

function refusal(statusCode: number, message: string, errorCode?: string, retryAfter?: number): Auth0Refusal {
  const body: Auth0ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(errorCode ? { errorCode } : {}) };
  return retryAfter === undefined ? { body } : { body, retryAfter };
}

export function notFoundRoute(): Auth0Refusal {
  return refusal(404, 'Not Found');
}

/** A request part that does not parse, told in zod's words through the tRPC API's own wording. */
export function invalidPart(part: RequestPart, error: ZodError | string): Auth0Refusal {
  const detail = typeof error === 'string' ? error : describeError(new TRPCError({ code: 'BAD_REQUEST', cause: error })).message;
  return refusal(400, `${PART[part].prefix}: '${detail}'.`, PART[part].errorCode);
}

/**
 * What a procedure's error answers as. `inputPart` is where the procedure's own input came from,
 * so its validation errors name the part the client sent.
 */
export function auth0ErrorOf(error: unknown, inputPart: RequestPart): Auth0Refusal {
  const trpcError = error instanceof TRPCError ? error : undefined;
  const cause = trpcError ? trpcError.cause : error;
  if (cause instanceof ZodError) return invalidPart(inputPart, cause);
  const domain = cause instanceof DomainError ? cause : asStoreUnavailable(cause);
  if (domain) {
    const wait = retryAfterOf(domain) ?? (domain.code === 'store.unavailable' ? STORE_RETRY_AFTER_SECONDS : undefined);
    return refusal(domain.httpStatus, domain.message, domain.auth0ErrorCode, wait);
  }
  if (!trpcError) return refusal(500, 'internal error');
  const status = getHTTPStatusCodeFromError(trpcError);
  if (status >= 500) return refusal(status, 'internal error');
  const errorCode = trpcError.code === 'FORBIDDEN' ? 'insufficient_scope' : undefined;
  return refusal(status, trpcError.message, errorCode);
}
