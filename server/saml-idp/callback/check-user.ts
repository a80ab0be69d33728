/**
 * Loads the profile of who logged in and refuses a user blocked or deleted since: the login
 * page turned away users blocked before.
 */
import { refuse, type SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const checkUser =
  ({ profiles, log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const { flow, redeemed } = reached(ctx, 'flow', 'redeemed');
    const profile = await profiles.getProfile(redeemed.accountId);
    if (!profile || profile.blocked) {
      log.info({ client_id: flow.clientId, user_id: redeemed.accountId }, 'SAML response refused: user blocked or deleted');
      return refuse(
        ctx,
        profile ? 'user.blocked' : 'auth.access_denied',
        profile ? 'This account is blocked.' : 'This account no longer exists.',
      );
    }
    ctx.state.profile = profile;
    await next();
  };
