/**
 * A ceiling on management API calls per caller (a machine client, or a user calling me.*) per
 * window, generous by default: it stops a runaway script or a stolen token from taking the
 * server, not an operator's ordinary work. Each call of a batch counts.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { type CreateLimiter, secondsUntil } from './limiter-store.js';
import { RetryLater } from './retry-later.js';

export interface RequestLimits {
  points: number;
  windowSeconds: number;
}

/** Where a caller stands after a call: what Auth0 sends as x-ratelimit-limit, -remaining and -reset. */
export interface RequestLimitState {
  limit: number;
  remaining: number;
  /** When the window restarts, in seconds since the epoch. */
  resetAt: number;
}

/** A refused call, with the state its caller is in (nothing remaining). */
export class RequestLimitReached extends RetryLater {
  override name = 'RequestLimitReached';
  constructor(
    message: string,
    retryAfterSeconds: number,
    readonly state: RequestLimitState,
  ) {
    super('request.rate_limited', message, retryAfterSeconds);
  }
}

export interface RequestLimit {
  /** Counts one call of `caller`, or throws RequestLimitReached when its window is used up. */
  take(caller: string): Promise<RequestLimitState>;
}

const stateOf = (limit: number, result: RateLimiterRes): RequestLimitState => ({
  limit,
  remaining: Math.max(0, result.remainingPoints),
  resetAt: Math.ceil((Date.now() + result.msBeforeNext) / 1000),
});

export function createRequestLimit(createLimiter: CreateLimiter, { points, windowSeconds }: RequestLimits): RequestLimit {
  const calls = createLimiter({ name: 'management-calls', points, duration: windowSeconds });
  return {
    async take(caller) {
      try {
        return stateOf(points, await calls.consume(caller));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const wait = secondsUntil(error.msBeforeNext);
        throw new RequestLimitReached(`too many management API calls; retry after ${wait} seconds`, wait, stateOf(points, error));
      }
    },
  };
}
