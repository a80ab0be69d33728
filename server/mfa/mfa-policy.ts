/**
 * When a login asks for a second factor, decided from what is known once the first factor and
 * the rules are done; no I/O here. `never`: only when something requires it for this login
 * (a rule, or an application's acr_values); `enrolled` (the default): whenever the user has a
 * factor; `always`: every login, and a user without a factor enrols one first.
 */
export const MFA_POLICIES = ['never', 'enrolled', 'always'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];
export const DEFAULT_MFA_POLICY: MfaPolicy = 'enrolled';

export type SecondFactorStep = 'none' | 'challenge' | 'enrol';

export interface SecondFactorSituation {
  /** The application's own policy where it has one, otherwise MFA_POLICY. */
  policy: MfaPolicy;
  /** Whether the user holds a second factor (recovery codes alone are none). */
  enrolled: boolean;
  /** The login is multi-factor already (a passkey, or a session that passed a second factor). */
  multiFactor: boolean;
  /** A rule (api.multifactor.enable) or the application's acr_values asks for multi-factor for this login. */
  required: boolean;
}

export function secondFactorStep({ policy, enrolled, multiFactor, required }: SecondFactorSituation): SecondFactorStep {
  if (multiFactor) return 'none';
  if (required || policy === 'always') return enrolled ? 'challenge' : 'enrol';
  return policy === 'enrolled' && enrolled ? 'challenge' : 'none';
}

/** The client metadata an application's own policy is kept under. */
export const MFA_POLICY_METADATA = 'mfa_policy';

/** A client's `mfa_policy` metadata, when it is one of the policies; undefined (the global one) otherwise. */
export function policyOf(value: unknown): MfaPolicy | undefined {
  return MFA_POLICIES.find((policy) => policy === value);
}
