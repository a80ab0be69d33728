/**
 * A refusal that passes: too many attempts (429) or too much work in flight (503). It carries
 * how long to wait, which every surface sends as `Retry-After` (RFC 9110 §10.2.3).
 */
import { DomainError, type ErrorCode } from '../errors.js';

export class RetryLater extends DomainError {
  override name = 'RetryLater';
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

/** The Retry-After of an error or of the error it wraps, if it is a RetryLater. */
export function retryAfterOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    if (current instanceof RetryLater) return current.retryAfterSeconds;
  }
  return undefined;
}

/** "3 minutes", "1 hour": a wait as a person reads it. */
export function describeWait(seconds: number): string {
  const [amount, unit] =
    seconds >= 5400 ? [Math.round(seconds / 3600), 'hour'] : seconds >= 90 ? [Math.round(seconds / 60), 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
