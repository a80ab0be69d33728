/**
 * A person enrolling their own second factors, from the account page or at login when the
 * policy asks for one: an authenticator app (shown, then confirmed by one code).
 */
import type { Profile } from '../profiles/profile.js';
import type { Authenticator } from './authenticator-schemas.js';
import type { Totp, TotpEnrolment } from './totp.js';

export interface EnrolmentDependencies {
  totp: Totp;
  /** Told after a factor was added, so what depends on the user's factors hears of it. */
  changed(userId: string): Promise<void>;
}

/** What an authenticator app shows beside the issuer: the name the person logs in with. */
export const accountNameOf = (profile: Pick<Profile, 'user_id' | 'email' | 'username'>) =>
  profile.email ?? profile.username ?? profile.user_id;

export function createMfaEnrolment({ totp, changed }: EnrolmentDependencies) {
  return {
    enrollTotp(profile: Pick<Profile, 'user_id' | 'email' | 'username'>, name?: string): Promise<TotpEnrolment> {
      return totp.enroll(profile.user_id, accountNameOf(profile), name);
    },

    async confirmTotp(userId: string, authenticatorId: string, code: string): Promise<{ authenticator: Authenticator }> {
      const authenticator = await totp.confirm(userId, authenticatorId, code);
      await changed(userId);
      return { authenticator };
    },
  };
}

export type MfaEnrolment = ReturnType<typeof createMfaEnrolment>;
