/**
 * Domain errors with stable dotted codes, and the one table mapping each code to the tRPC
 * code and the OAuth error it surfaces as. The message is safe to show a client.
 */
import { isStoreUnavailable } from '../adapters/store-unavailable.js';

export const ERROR_CODES = {
  'user.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_grant' },
  'user.exists': { trpc: 'CONFLICT', oauth: 'invalid_request' },
  'user.blocked': { trpc: 'FORBIDDEN', oauth: 'access_denied' },
  'user.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'auth.invalid_credentials': { trpc: 'UNAUTHORIZED', oauth: 'access_denied' },
  'auth.upstream_failed': { trpc: 'BAD_GATEWAY', oauth: 'access_denied' },
  'auth.invalid_response': { trpc: 'BAD_REQUEST', oauth: 'access_denied' },
  'auth.denied_by_rule': { trpc: 'FORBIDDEN', oauth: 'access_denied' },
  'profile.invalid': { trpc: 'BAD_REQUEST', oauth: 'access_denied' },
  'password.too_weak': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'connection.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request' },
  'connection.exists': { trpc: 'CONFLICT', oauth: 'invalid_request' },
  'connection.not_enabled': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'connection.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'connection.in_use': { trpc: 'CONFLICT', oauth: 'invalid_request' },
  'search.invalid_query': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'input.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request' },
  'search.timeout': { trpc: 'TIMEOUT', oauth: 'temporarily_unavailable' },
  'events.too_many_subscribers': { trpc: 'TOO_MANY_REQUESTS', oauth: 'temporarily_unavailable' },
  'client.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_client' },
  'client.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_client_metadata' },
  'client.scope_not_held': { trpc: 'FORBIDDEN', oauth: 'access_denied' },
  'auth.too_many_attempts': { trpc: 'TOO_MANY_REQUESTS', oauth: 'access_denied' },
  'request.rate_limited': { trpc: 'TOO_MANY_REQUESTS', oauth: 'invalid_request' },
  'server.busy': { trpc: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable' },
  // HTTP 503 with Retry-After on every surface.
  'store.unavailable': { trpc: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get trpcCode() {
    return ERROR_CODES[this.code].trpc;
  }

  get oauthError() {
    return ERROR_CODES[this.code].oauth;
  }
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}

/** Seconds a client is asked to wait (Retry-After) before retrying a request a store outage refused. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * The 'store.unavailable' domain error a store outage surfaces as, wrapping the store's own
 * error; undefined for every other error, including domain errors, whose code stands.
 */
export function asStoreUnavailable(error: unknown): DomainError | undefined {
  if (isDomainError(error)) return error.code === 'store.unavailable' ? error : undefined;
  if (!isStoreUnavailable(error)) return undefined;
  return new DomainError('store.unavailable', 'The service is temporarily unavailable. Please try again in a few seconds.', undefined, { cause: error });
}
