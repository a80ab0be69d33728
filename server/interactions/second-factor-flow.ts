/**
 * The login waiting for its second factor: the first factor and the rules are done, and the
 * browser is at /interaction/:uid/mfa. Kept in login_flows under the interaction's uid, taken
 * once when the second factor is given, so one first factor finishes at most one login.
 */
import type { AuthenticationMethod } from '../mfa/authentication-methods.js';

/** As long as an interaction may wait on an upstream: enough to find the phone, or the recovery codes. */
export const SECOND_FACTOR_TTL_SECONDS = 10 * 60;

export const secondFactorFlowId = (uid: string) => `second-factor:${uid}`;

/**
 * What a passkey challenge of this step is bound to: apart from the login page's (passkey-routes.ts),
 * so an answer to the passwordless prompt cannot stand in for a second factor, nor the reverse.
 */
export const secondFactorBinding = (uid: string) => `second-factor:${uid}`;

export interface PendingSecondFactor {
  kind: 'second-factor';
  uid: string;
  userId: string;
  connectionId: string;
  /** How the login was authenticated so far. */
  amr: AuthenticationMethod[];
  /** challenge: the user gives one of their factors; enrol: the user has none and adds an authenticator app. */
  step: 'challenge' | 'enrol';
  /** enrol: the authenticator app shown, so a wrong code shows the same one again. */
  enrolmentId?: string;
}

/** The flow's payload, when it is one for this interaction. */
export function pendingSecondFactor(payload: unknown, uid: string): PendingSecondFactor | undefined {
  const pending = payload as Partial<PendingSecondFactor> | undefined;
  if (pending?.kind !== 'second-factor' || pending.uid !== uid || !pending.userId || !pending.connectionId || !pending.step)
    return undefined;
  return { ...pending, amr: pending.amr ?? [] } as PendingSecondFactor;
}
