/**
 * A person adding a passkey from the account page: the ceremony is passkeys.ts; what this adds is
 * what enrolment.ts does for an authenticator app, the recovery codes that come with the user's
 * first factor, so that someone whose only factor is a passkey on a lost phone still gets in.
 */
import type { ConfirmedFactor } from './enrolment.js';
import type { RegistrationResponse } from './passkey-schemas.js';
import type { Passkeys } from './passkeys.js';
import type { RecoveryCodes } from './recovery-codes.js';

export interface PasskeyEnrolmentDependencies {
  passkeys: Pick<Passkeys, 'registrationOptions' | 'register'>;
  recoveryCodes: Pick<RecoveryCodes, 'issue'>;
  /** Whether the user holds a second factor (recovery codes are not one). */
  enrolled(userId: string): Promise<boolean>;
}

export function createPasskeyEnrolment({ passkeys, recoveryCodes, enrolled }: PasskeyEnrolmentDependencies) {
  return {
    registrationOptions: (userId: string) => passkeys.registrationOptions(userId),

    /**
     * Keeps the passkey; with the user's first factor come new recovery codes (shown this once),
     * replacing any left from factors removed since, which the person may no longer have.
     * The passkey's own registration has told of the change already; recovery codes are no factor.
     */
    async register(userId: string, response: RegistrationResponse, name?: string): Promise<ConfirmedFactor> {
      const first = !(await enrolled(userId));
      const authenticator = await passkeys.register(userId, response, name);
      return { authenticator, recovery_codes: first ? await recoveryCodes.issue(userId) : null };
    },
  };
}

export type PasskeyEnrolment = ReturnType<typeof createPasskeyEnrolment>;
