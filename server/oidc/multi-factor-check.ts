/**
 * Step-up: an authorization request whose acr_values asks for multi-factor authentication is
 * sent to the login prompt when the session's authentication was not multi-factor, even though
 * the person is signed in. oidc-provider honours acr only when it is an essential claim; acr
 * values are voluntary in OpenID Connect Core, but Auth0 and the applications written for it
 * treat the multi-factor one as a demand, and so does Tessera. The interaction then goes
 * straight to the second factor for the session's account (server/interactions/step-up.ts).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (acr_values)
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MULTI_FACTOR, requestsMultiFactor } from '../mfa/authentication-methods.js';

/** The reason the login prompt gives when only this check asked for it. */
export const MULTI_FACTOR_REASON = 'multi_factor_required';

const needsSecondFactor = (ctx: KoaContextWithOIDC) =>
  requestsMultiFactor(ctx.oidc.params?.['acr_values']) && ctx.oidc.acr !== ACR_MULTI_FACTOR;

/** oidc-provider's default prompts, with the multi-factor check added to the login prompt. */
export function interactionPolicyWithStepUp(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error("oidc-provider's default policy has no login prompt");
  login.checks.add(
    // login_required to prompt=none, as for any login the session cannot give (OpenID Connect Core §3.1.2.6).
    new interactionPolicy.Check(MULTI_FACTOR_REASON, 'multi-factor authentication was requested', 'login_required', (ctx) =>
      needsSecondFactor(ctx) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}
