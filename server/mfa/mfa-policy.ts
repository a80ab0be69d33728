/**
 * When a login asks for a second factor, decided from what is known once the first factor and
 * the rules are done; no I/O of its own (the user's factors are read through the caller's
 * `enrolled`, and only when the answer depends on them). `never`: only when something requires it for this login
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

export interface SecondFactorQuestion {
  /** The application's `mfa_policy` metadata, as stored (unset or unknown: `globalPolicy`). */
  applicationPolicy: unknown;
  globalPolicy: MfaPolicy;
  multiFactor: boolean;
  required: boolean;
  enrolled(): Promise<boolean>;
}

/** The step for a login or a session: both the login (login-steps.ts) and the step-up check (multi-factor-check.ts) ask it. */
export async function secondFactorStepFor({
  applicationPolicy,
  globalPolicy,
  multiFactor,
  required,
  enrolled,
}: SecondFactorQuestion): Promise<SecondFactorStep> {
  const policy = policyOf(applicationPolicy) ?? globalPolicy;
  if (multiFactor || (policy === 'never' && !required)) return 'none';
  return secondFactorStep({ policy, enrolled: await enrolled(), multiFactor: false, required });
}
