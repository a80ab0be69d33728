/**
 * Step-up: an authorization request is sent to the login prompt, though the person is signed
 * in, when the session's authentication was not multi-factor and this request needs it: its
 * acr_values asks for multi-factor, or the application's policy (its mfa_policy, or MFA_POLICY)
 * asks this user for a second factor. Without this, a session from an application that asks
 * none (mfa_policy never) would sign the person in everywhere else on a password alone.
 * oidc-provider honours acr only as an essential claim; acr values are voluntary in OpenID
 * Connect Core, but Auth0 and the applications written for it treat the multi-factor one as a
 * demand, and so does Tessera. The interaction then goes straight to the second factor for the
 * session's account (server/interactions/step-up.ts).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (acr_values)
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MULTI_FACTOR, requestsMultiFactor } from '../mfa/authentication-methods.js';
import { MFA_POLICY_METADATA, type MfaPolicy, secondFactorStepFor } from '../mfa/mfa-policy.js';

/** The reason the login prompt gives when only this check asked for it. */
export const MULTI_FACTOR_REASON = 'multi_factor_required';

export interface StepUpPolicy {
  /** MFA_POLICY, for applications without an mfa_policy of their own. */
  globalPolicy: MfaPolicy;
  /** Whether the user holds a second factor. */
  enrolled(userId: string): Promise<boolean>;
}

async function needsSecondFactor(ctx: KoaContextWithOIDC, { globalPolicy, enrolled }: StepUpPolicy): Promise<boolean> {
  const accountId = ctx.oidc.session?.accountId;
  // Without a session, and on the resume right after a login, the login asked for the second
  // factor itself by the same rules (server/interactions/login-steps.ts): nothing to ask again.
  if (!accountId || ctx.oidc.result?.['login']) return false;
  const step = await secondFactorStepFor({
    applicationPolicy: ctx.oidc.client?.[MFA_POLICY_METADATA],
    globalPolicy,
    multiFactor: ctx.oidc.acr === ACR_MULTI_FACTOR,
    required: requestsMultiFactor(ctx.oidc.params?.['acr_values']),
    enrolled: () => enrolled(accountId),
  });
  return step !== 'none';
}

/** oidc-provider's default prompts, with the multi-factor check added to the login prompt. */
export function interactionPolicyWithStepUp(stepUp: StepUpPolicy): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error("oidc-provider's default policy has no login prompt");
  login.checks.add(
    // login_required to prompt=none, as for any login the session cannot give (OpenID Connect Core §3.1.2.6).
    new interactionPolicy.Check(MULTI_FACTOR_REASON, 'multi-factor authentication is required', 'login_required', async (ctx) =>
      (await needsSecondFactor(ctx, stepUp)) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}
