/**
 * Brute-force protection of the login form, as Auth0 has it: after `maxAttempts` consecutive
 * failed passwords for one login name from one IP, that IP is blocked for that name (the right
 * password is refused too) until an operator unblocks the user, their password changes, or
 * `blockSeconds` pass. Other names and other IPs are unaffected; a success clears the count.
 * Beside it, one IP may fail `ipMaxFailures` times per `ipWindowSeconds` across all names.
 *
 * An attempt is counted when it starts and given back if it succeeds, so requests sent side
 * by side cannot all pass the check before the first failure is recorded.
 * @see https://auth0.com/docs/secure/attack-protection/brute-force-protection
 */
import { type CreateLimiter, secondsUntil } from './limiter-store.js';
import { describeWait, RetryLater } from './retry-later.js';

export interface LoginAttemptLimits {
  maxAttempts: number;
  blockSeconds: number;
  ipMaxFailures: number;
  ipWindowSeconds: number;
}

/** An attempt under way: say how it ended, exactly once. */
export interface LoginAttempt {
  /** The password was wrong (or the name unknown); true when this failure started a block. */
  failed(): Promise<boolean>;
  /** The password was right: the name's count starts again from nothing. */
  succeeded(): Promise<void>;
  /** Ended before the password could be judged (a directory down, a server too busy): not counted. */
  inconclusive(): Promise<void>;
}

export interface LoginAttempts {
  /** Counts an attempt for `subject` from `ip`, or throws RetryLater while either is blocked. */
  begin(subject: string, ip: string): Promise<LoginAttempt>;
  /** Lifts every block and count of these subjects, from every IP. */
  unblock(subjects: readonly string[]): Promise<void>;
}

export function createLoginAttempts(createLimiter: CreateLimiter, limits: LoginAttemptLimits): LoginAttempts {
  const { maxAttempts, blockSeconds, ipMaxFailures, ipWindowSeconds } = limits;
  const failures = createLimiter({ name: 'login-failures', points: maxAttempts, duration: blockSeconds });
  const ipFailures = createLimiter({ name: 'login-ip', points: ipMaxFailures, duration: ipWindowSeconds });
  // A counter's key cannot be listed by its subject (it ends with an IP), so an unblock starts
  // the subject's new epoch instead: counts kept under the old one are no longer read. An
  // epoch outlives every block begun in it (see failed()), so no block outlives its epoch.
  const epochs = createLimiter({ name: 'login-epochs', points: 1, duration: 2 * blockSeconds });
  const epochSeconds = 2 * blockSeconds;

  return {
    async begin(subject, ip) {
      const epoch = await epochs.consumedPoints(subject);
      const key = `${subject}#${epoch}@${ip}`;
      const [count, ipCount] = await Promise.all([failures.penalty(key), ipFailures.penalty(ip)]);
      const takeBack = () => Promise.all([failures.reward(key), ipFailures.reward(ip)]).then(() => undefined);
      if (count.consumedPoints > maxAttempts) {
        await takeBack();
        const wait = secondsUntil(count.msBeforeNext);
        throw new RetryLater(
          'auth.too_many_attempts',
          `This account is blocked after too many failed login attempts from your network. Try again in ${describeWait(wait)}, or ask an administrator to unblock it.`,
          wait,
        );
      }
      if (ipCount.consumedPoints > ipMaxFailures) {
        await takeBack();
        const wait = secondsUntil(ipCount.msBeforeNext);
        throw new RetryLater(
          'auth.too_many_attempts',
          `Too many failed login attempts from your network. Try again in ${describeWait(wait)}.`,
          wait,
        );
      }
      return {
        async failed() {
          if (count.consumedPoints < maxAttempts) return false;
          // The block runs its full time from the last failure, not from the first.
          await failures.block(key, blockSeconds);
          if (epoch) await epochs.set(subject, epoch, epochSeconds);
          return true;
        },
        async succeeded() {
          await Promise.all([failures.delete(key), ipFailures.reward(ip)]);
        },
        inconclusive: takeBack,
      };
    },

    async unblock(subjects) {
      const epoch = Date.now();
      await Promise.all(subjects.map((subject) => epochs.set(subject, epoch, epochSeconds)));
    },
  };
}
