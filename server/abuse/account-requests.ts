/**
 * Requests of the login page that send mail: sign-ups and "Forgot your password?". One IP may
 * make `ipMax` of them per `ipWindowSeconds` (the numbers of the login failures per IP, so a
 * network is held to the same pace whichever form it fills), and one address may be named in
 * `addressMax` per `addressWindowSeconds`, so nobody can fill a stranger's inbox from many IPs.
 *
 * Every request counts, whether or not the address has an account: a refusal is the same for
 * both, so the limit never tells which addresses exist.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { type CreateLimiter, secondsUntil } from './limiter-store.js';
import { describeWait, RetryLater } from './retry-later.js';

export interface AccountRequestLimits {
  ipMax: number;
  ipWindowSeconds: number;
  addressMax: number;
  addressWindowSeconds: number;
}

export interface AccountRequests {
  /** Counts one request from `ip` naming `address`, or throws RetryLater when either is used up. */
  take(ip: string, address: string): Promise<void>;
}

/** Messages one address may be sent from these forms per hour: a person retrying, never a flood. */
export const ADDRESS_MAX = 5;
export const ADDRESS_WINDOW_SECONDS = 60 * 60;

export function createAccountRequests(createLimiter: CreateLimiter, limits: AccountRequestLimits): AccountRequests {
  const perIp = createLimiter({ name: 'account-requests-ip', points: limits.ipMax, duration: limits.ipWindowSeconds });
  const perAddress = createLimiter({ name: 'account-requests-address', points: limits.addressMax, duration: limits.addressWindowSeconds });

  async function consume(limiter: typeof perIp, key: string, message: (wait: string) => string) {
    try {
      await limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const wait = secondsUntil(error.msBeforeNext);
      throw new RetryLater('auth.too_many_attempts', message(describeWait(wait)), wait);
    }
  }

  return {
    async take(ip, address) {
      await consume(perIp, ip, (wait) => `Too many requests from your network. Try again in ${wait}.`);
      await consume(perAddress, address.trim().toLowerCase(), (wait) => `Too many requests for this address. Try again in ${wait}.`);
    },
  };
}
