/**
 * A person enrolling their own second factors, from the account page or at login when the
 * policy asks for one: an authenticator app (shown, then confirmed by one code), and the
 * recovery codes that come with the first factor and can be made anew while one is held.
 * Wrong confirmation codes from the account page count like wrong codes at login.
 */
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { secondFactorSubject } from '../abuse/login-subjects.js';
import { DomainError, isDomainError } from '../errors.js';
import type { Profile } from '../profiles/profile.js';
import type { Authenticator } from './authenticator-schemas.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { Totp, TotpEnrolment } from './totp.js';

export interface EnrolmentDependencies {
  totp: Totp;
  recoveryCodes: RecoveryCodes;
  /** Whether the user holds a second factor (recovery codes are not one). */
  enrolled(userId: string): Promise<boolean>;
  /** Told after a factor was added, so what depends on the user's factors hears of it. */
  changed(userId: string): Promise<void>;
  /** The login's brute-force counters: a confirmation code is guessed like a second factor is. */
  loginAttempts: Pick<LoginAttempts, 'begin'>;
}

export interface ConfirmedFactor {
  authenticator: Authenticator;
  /** New recovery codes, shown this once, when this is the user's first factor; null otherwise. */
  recovery_codes: string[] | null;
}

type Named = Pick<Profile, 'user_id' | 'email' | 'username'>;

/** What an authenticator app shows beside the issuer: the name the person logs in with. */
export const accountNameOf = (profile: Named) => profile.email ?? profile.username ?? profile.user_id;

export function createMfaEnrolment({ totp, recoveryCodes, enrolled, changed, loginAttempts }: EnrolmentDependencies) {
  /**
   * Confirms the app; with the user's first factor come new recovery codes, replacing any left
   * from factors removed since, which the person may no longer have.
   */
  async function confirmTotp(userId: string, authenticatorId: string, code: string): Promise<ConfirmedFactor> {
    const first = !(await enrolled(userId));
    const authenticator = await totp.confirm(userId, authenticatorId, code);
    const codes = first ? await recoveryCodes.issue(userId) : null;
    await changed(userId);
    return { authenticator, recovery_codes: codes };
  }

  return {
    enrollTotp(profile: Named, name?: string): Promise<TotpEnrolment> {
      return totp.enroll(profile.user_id, accountNameOf(profile), name);
    },

    /** Uncounted: for a caller that holds the attempt itself, as the login's second-factor step does around every code it judges. */
    confirmTotp,

    /**
     * confirmTotp from the account page (`ip`: the address the login form's limits count by):
     * wrong codes count against the user's second factor as at login, under the same limits,
     * so while blocked even the right code is refused (RetryLater, 429 with Retry-After) and
     * users.unblock lifts it. An unknown authenticator says nothing of the code: not counted.
     */
    async confirmOwnTotp(userId: string, authenticatorId: string, code: string, ip: string): Promise<ConfirmedFactor> {
      const attempt = await loginAttempts.begin(secondFactorSubject(userId), ip);
      let confirmed: ConfirmedFactor;
      try {
        confirmed = await confirmTotp(userId, authenticatorId, code);
      } catch (error) {
        await (isDomainError(error, 'authenticator.invalid_code') ? attempt.failed() : attempt.inconclusive());
        throw error;
      }
      await attempt.succeeded();
      return confirmed;
    },

    async regenerateRecoveryCodes(userId: string): Promise<{ recovery_codes: string[] }> {
      if (!(await enrolled(userId))) {
        throw new DomainError('authenticator.not_enrolled', 'Recovery codes come with a second factor: add an authenticator app first.');
      }
      const codes = await recoveryCodes.issue(userId);
      await changed(userId);
      return { recovery_codes: codes };
    },
  };
}

export type MfaEnrolment = ReturnType<typeof createMfaEnrolment>;
