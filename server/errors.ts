/**
 * Domain errors with stable dotted codes, and the one table mapping each code to the tRPC
 * code, the OAuth error and the HTTP status it surfaces as. The message is safe to show a client.
 * The HTTP status is the one tRPC gives the tRPC code, so a code answers alike on every surface.
 * `auth0` is the `errorCode` Auth0's Management API v2 answers with for the same case
 * (trpc/api-v2/); a code without one is told by its status alone there.
 */
import { GrantGone } from '../adapters/errors.js';
import { isStoreUnavailable } from '../adapters/store-unavailable.js';

export const ERROR_CODES = {
  'user.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_grant', http: 404, auth0: 'inexistent_user' },
  'authenticator.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request', http: 404, auth0: 'inexistent_authenticator' },
  // Confirming an enrolment with a code the new authenticator did not make (or one already used).
  'authenticator.invalid_code': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400 },
  // Recovery codes asked for by a user with no second factor they would stand in for.
  'authenticator.not_enrolled': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400 },
  'user.exists': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409, auth0: 'auth0_idp_error' },
  'user.blocked': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  'user.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'invalid_body' },
  'auth.invalid_credentials': { trpc: 'UNAUTHORIZED', oauth: 'access_denied', http: 401 },
  'auth.upstream_failed': { trpc: 'BAD_GATEWAY', oauth: 'access_denied', http: 502 },
  'auth.invalid_response': { trpc: 'BAD_REQUEST', oauth: 'access_denied', http: 400 },
  'auth.denied_by_rule': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  // A login that ended without a user: the person cancelled, or the provider refused it.
  'auth.access_denied': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  'profile.invalid': { trpc: 'BAD_REQUEST', oauth: 'access_denied', http: 400 },
  'password.too_weak': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'password_strength_error' },
  'connection.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request', http: 404, auth0: 'inexistent_connection' },
  'connection.exists': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409, auth0: 'connection_exists' },
  'connection.not_enabled': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'connection_not_enabled' },
  'connection.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'invalid_body' },
  'connection.in_use': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409 },
  'search.invalid_query': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'invalid_query_string' },
  'input.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'invalid_body' },
  'search.timeout': { trpc: 'TIMEOUT', oauth: 'temporarily_unavailable', http: 408 },
  'events.too_many_subscribers': { trpc: 'TOO_MANY_REQUESTS', oauth: 'temporarily_unavailable', http: 429 },
  'client.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_client', http: 404, auth0: 'inexistent_client' },
  'client.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_client_metadata', http: 400, auth0: 'invalid_body' },
  'client.scope_not_held': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403, auth0: 'insufficient_scope' },
  // A client Tessera registers and owns itself (the admin console's).
  'client.reserved': { trpc: 'FORBIDDEN', oauth: 'invalid_client', http: 403, auth0: 'operation_not_supported' },
  // A `resource` naming no registered API is the provider's own invalid_target; these are the registry's answers.
  'resource_server.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_target', http: 404, auth0: 'inexistent_resource_server' },
  'resource_server.exists': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409, auth0: 'resource_server_conflict' },
  'resource_server.invalid': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'invalid_body' },
  // The management API is built in: deleting it, or changing more than its signing_alg and token_lifetime.
  'resource_server.built_in': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400, auth0: 'operation_not_supported' },
  // A setup link that is unknown, used or expired; and any setup once an administrator exists.
  'setup.link_refused': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  'setup.admin_exists': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409 },
  // An account link (verify an email, reset a password) that is unknown, used, expired, or outlived a change of email or password.
  'ticket.refused': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  // Sign-up through a connection that does not allow it (disable_signup), or for an application that does not offer it.
  'signup.disabled': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  // me.delete while the operator has not allowed people to delete their own account (ACCOUNT_DELETION).
  'account.deletion_disabled': { trpc: 'FORBIDDEN', oauth: 'access_denied', http: 403 },
  // The account page: a session or an application (a grant) of the caller's that is not there.
  'session.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request', http: 404 },
  'application.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request', http: 404 },
  // me.link's proof of the second sign-in: a bad, stale, reused or foreign ID token.
  'link.refused': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400 },
  // A passkey's registration that does not verify (or answers an expired prompt), and one registered already.
  'passkey.refused': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400 },
  'passkey.exists': { trpc: 'CONFLICT', oauth: 'invalid_request', http: 409 },
  'saml.request_refused': { trpc: 'BAD_REQUEST', oauth: 'invalid_request', http: 400 },
  'auth.too_many_attempts': { trpc: 'TOO_MANY_REQUESTS', oauth: 'access_denied', http: 429 },
  // RFC 6749 §5.2 has no code for it; invalid_client says the client's authentication was refused.
  'client.too_many_authentications': { trpc: 'TOO_MANY_REQUESTS', oauth: 'invalid_client', http: 429 },
  'request.rate_limited': { trpc: 'TOO_MANY_REQUESTS', oauth: 'invalid_request', http: 429, auth0: 'too_many_requests' },
  'server.busy': { trpc: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable', http: 503, auth0: 'temporarily_unavailable' },
  'job.not_found': { trpc: 'NOT_FOUND', oauth: 'invalid_request', http: 404, auth0: 'inexistent_job' },
  // A token issued under a grant revoked meanwhile (a refresh token's reuse seen on another request, say).
  'grant.revoked': { trpc: 'BAD_REQUEST', oauth: 'invalid_grant', http: 400 },
  // HTTP 503 with Retry-After on every surface.
  'store.unavailable': { trpc: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable', http: 503, auth0: 'temporarily_unavailable' },
} as const satisfies Record<string, { trpc: string; oauth: string; http: number; auth0?: string }>;

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

  get httpStatus() {
    return ERROR_CODES[this.code].http;
  }

  get auth0ErrorCode(): string | undefined {
    const entry = ERROR_CODES[this.code];
    return 'auth0' in entry ? entry.auth0 : undefined;
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
  return new DomainError('store.unavailable', 'The service is temporarily unavailable. Please try again in a few seconds.', undefined, {
    cause: error,
  });
}

/** The domain error a store's refusal surfaces as: an outage, or a token whose grant was revoked as it was written. */
export function asStoreRefusal(error: unknown): DomainError | undefined {
  if (error instanceof GrantGone) return new DomainError('grant.revoked', 'The grant was revoked.', undefined, { cause: error });
  return asStoreUnavailable(error);
}
