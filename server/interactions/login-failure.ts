/**
 * Which errors of a login are the user's or the upstream's (shown on the page, with a status)
 * and which are Tessera's own (left to the 500 handler).
 */
import { isDomainError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'auth.invalid_credentials': 401,
  'auth.invalid_response': 400,
  'auth.upstream_failed': 502,
  'profile.invalid': 400,
  'user.blocked': 403,
};

export function loginFailure(error: unknown): { code: ErrorCode; status: number; message: string } | undefined {
  if (!isDomainError(error)) return undefined;
  const status = STATUS[error.code];
  return status === undefined ? undefined : { code: error.code, status, message: error.message };
}
