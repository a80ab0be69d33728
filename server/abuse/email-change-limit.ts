/**
 * How many email-change links one person may have sent per hour from the account page: each
 * goes to an address they choose, so without a ceiling a signed-in account would be a way to
 * send Tessera's mail to anyone, as often as the management API's own limit allows.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { type CreateLimiter, secondsUntil } from './limiter-store.js';
import { describeWait, RetryLater } from './retry-later.js';

/** Enough for typos and a second try; an hour, as a link lives a day. */
export const EMAIL_CHANGES_PER_HOUR = 5;

export interface EmailChangeLimit {
  /** Counts one link sent for `userId`, or throws RetryLater once the hour's are used up. */
  take(userId: string): Promise<void>;
}

export function createEmailChangeLimit(createLimiter: CreateLimiter, points = EMAIL_CHANGES_PER_HOUR): EmailChangeLimit {
  const sent = createLimiter({ name: 'email-changes', points, duration: 60 * 60 });
  return {
    async take(userId) {
      try {
        await sent.consume(userId);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const wait = secondsUntil(error.msBeforeNext);
        throw new RetryLater('request.rate_limited', `Too many email changes asked for. Try again in ${describeWait(wait)}.`, wait);
      }
    },
  };
}
