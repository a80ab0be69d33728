/**
 * Which errors of a login are the user's or the upstream's (shown on the login page, with the
 * status of their code in server/errors.ts) and which are Tessera's own (left to the error
 * handler, server/http-errors.ts). A failure of operator code may quote the code's error or a
 * server path: the page gets a generic sentence and the error id that the log line with the
 * detail carries.
 */
import { retryAfterOf } from '../abuse/retry-later.js';
import { type DomainError, type ErrorCode, isDomainError } from '../errors.js';
import { visitorMessageOf } from '../sandbox/code-failure.js';

const SHOWN_ON_THE_LOGIN_PAGE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'auth.invalid_credentials',
  'auth.invalid_response',
  'auth.upstream_failed',
  'auth.too_many_attempts',
  'profile.invalid',
  'server.busy',
  'user.blocked',
]);

export interface LoginFailure {
  code: ErrorCode;
  status: number;
  message: string;
  retryAfterSeconds?: number;
}

/** How a domain error shows on the login page: its visitor message, its code's status, and any wait. */
export function describeFailure(error: DomainError): LoginFailure {
  const retryAfterSeconds = retryAfterOf(error);
  return {
    code: error.code,
    status: error.httpStatus,
    message: visitorMessageOf(error),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

/** The failure to show for an error of a login, or undefined when it is Tessera's own. */
export function loginFailure(error: unknown): LoginFailure | undefined {
  if (!isDomainError(error) || !SHOWN_ON_THE_LOGIN_PAGE.has(error.code)) return undefined;
  return describeFailure(error);
}
