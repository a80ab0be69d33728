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

export interface RequestLimit {
  /** Counts one call of `caller`, or throws RetryLater when its window is used up. */
  take(caller: string): Promise<void>;
}

export function createRequestLimit(createLimiter: CreateLimiter, { points, windowSeconds }: RequestLimits): RequestLimit {
  const calls = createLimiter({ name: 'management-calls', points, duration: windowSeconds });
  return {
    async take(caller) {
      try {
        await calls.consume(caller);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const wait = secondsUntil(error.msBeforeNext);
        throw new RetryLater('request.rate_limited', `too many management API calls; retry after ${wait} seconds`, wait);
      }
    },
  };
}
