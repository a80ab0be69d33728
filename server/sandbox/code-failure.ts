/**
 * A failure of operator code (a custom database script, a profile mapper module) with a short
 * random id. Its message may quote the code's own error, so login pages show only a generic
 * sentence with the id, and the log line written where the failure happened carries the same
 * id with the detail: an operator finds one from the other, a visitor learns nothing.
 */
import { randomBytes } from 'node:crypto';
import { DomainError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

export class CodeFailure extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly errorId: string,
  ) {
    super(code, message);
  }
}

/** Eight hex digits: enough to find one line in a day's log, short enough to read out on the phone. */
function newErrorId(): string {
  return randomBytes(4).toString('hex');
}

/** What a visitor's page says of a domain error: its own message, or for a failure of operator code only its error id. */
export function visitorMessageOf(error: DomainError): string {
  return error instanceof CodeFailure
    ? `This login could not be completed because of a problem on the server. Error id: ${error.errorId}.`
    : error.message;
}

/** A new failure, and the warning that carries its id beside `fields` (the detail no page shows). */
export function loggedCodeFailure(
  log: Logger,
  logMessage: string,
  fields: Record<string, unknown>,
  code: ErrorCode,
  message: string,
): CodeFailure {
  const errorId = newErrorId();
  log.warn({ ...fields, error_id: errorId }, logMessage);
  return new CodeFailure(code, message, errorId);
}
