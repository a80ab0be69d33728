/**
 * Step-up inside an existing session: the login prompt came only because the session's login
 * was not multi-factor and this request needs it, by its acr_values or by the application's
 * policy (server/oidc/multi-factor-check.ts).
 * The person is not asked for their password again: the session's account goes through the
 * last step of a login (blocked users, rules) and on to its second factor, and the login ends
 * with the session's methods plus otp and mfa. The connection is the user's first identity's,
 * the one the session most likely used, as for single sign-on.
 */
import type { Context } from 'koa';
import { knownMethods } from '../mfa/authentication-methods.js';
import { MULTI_FACTOR_REASON } from '../oidc/multi-factor-check.js';
import type { LoginSteps } from './account-requests.js';
import type { Details } from './login-steps.js';
import type { InteractionDependencies } from './routes.js';

/** The session's account, when the step-up check alone brought the login prompt. */
export function stepUpAccount(details: Details): string | undefined {
  const { reasons } = details.prompt;
  if (reasons.length !== 1 || reasons[0] !== MULTI_FACTOR_REASON) return undefined;
  return details.session?.accountId;
}

export function createStepUp({ profiles, connections }: Pick<InteractionDependencies, 'profiles' | 'connections'>, steps: LoginSteps) {
  /** False when the account or its connection is gone: the person logs in afresh. */
  return async function stepUp(ctx: Context, details: Details, accountId: string): Promise<boolean> {
    const [identity] = (await profiles.getProfile(accountId))?.identities ?? [];
    const connection = identity ? await connections.findByName(identity.connection) : null;
    if (!connection) return false;
    const amr = knownMethods(details.session?.amr);
    await steps.completeLogin(ctx, details, accountId, connection, amr.length > 0 ? { amr } : {});
    return true;
  };
}
