/**
 * A person enrolling their own second factors, from the account page or at login when the
 * policy asks for one: an authenticator app (shown, then confirmed by one code), and the
 * recovery codes that come with the first factor and can be made anew while one is held.
 */
import { DomainError } from '../errors.js';
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
}

export interface ConfirmedFactor {
  authenticator: Authenticator;
  /** New recovery codes, shown this once, when this is the user's first factor; null otherwise. */
  recovery_codes: string[] | null;
}

type Named = Pick<Profile, 'user_id' | 'email' | 'username'>;

/** What an authenticator app shows beside the issuer: the name the person logs in with. */
export const accountNameOf = (profile: Named) => profile.email ?? profile.username ?? profile.user_id;

export function createMfaEnrolment({ totp, recoveryCodes, enrolled, changed }: EnrolmentDependencies) {
  return {
    enrollTotp(profile: Named, name?: string): Promise<TotpEnrolment> {
      return totp.enroll(profile.user_id, accountNameOf(profile), name);
    },

    /**
     * Confirms the app; with the user's first factor come new recovery codes, replacing any left
     * from factors removed since, which the person may no longer have.
     */
    async confirmTotp(userId: string, authenticatorId: string, code: string): Promise<ConfirmedFactor> {
      const first = !(await enrolled(userId));
      const authenticator = await totp.confirm(userId, authenticatorId, code);
      const codes = first ? await recoveryCodes.issue(userId) : null;
      await changed(userId);
      return { authenticator, recovery_codes: codes };
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
