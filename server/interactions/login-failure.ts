/**
 * Which errors of a login are the user's or the upstream's (shown on the page, with a status)
 * and which are Tessera's own (left to the 500 handler). A failure of operator code may quote
 * the code's error or a server path: the page gets a generic sentence and the error id that
 * the log line with the detail carries.
 */
import { retryAfterOf } from '../abuse/retry-later.js';
import { isDomainError, type ErrorCode } from '../errors.js';
import { CodeFailure } from '../sandbox/code-failure.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'auth.invalid_credentials': 401,
  'auth.invalid_response': 400,
  'auth.upstream_failed': 502,
  'auth.too_many_attempts': 429,
  'profile.invalid': 400,
  'server.busy': 503,
  'user.blocked': 403,
};

export function loginFailure(error: unknown): { code: ErrorCode; status: number; message: string; retryAfterSeconds?: number } | undefined {
  if (!isDomainError(error)) return undefined;
  const status = STATUS[error.code];
  if (status === undefined) return undefined;
  const message = error instanceof CodeFailure ? `This login could not be completed because of a problem on the server. Error id: ${error.errorId}.` : error.message;
  const retryAfterSeconds = retryAfterOf(error);
  return { code: error.code, status, message, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}
