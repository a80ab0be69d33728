/** Finds the NameID the add-on asks for, refusing a user who has none (an email-less account). */
import { nameIdOf } from '../attributes.js';
import { refuse, type SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const checkNameId =
  ({ log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const { flow, client, addon, profile } = reached(ctx, 'flow', 'client', 'addon', 'profile');
    const nameId = nameIdOf(profile, addon);
    if (nameId === undefined) {
      log.info({ client_id: flow.clientId, user_id: profile.user_id }, 'SAML response refused: no email for the NameID');
      return refuse(
        ctx,
        'profile.invalid',
        `This account has no email address, which ${client.clientName ?? flow.clientId} needs to identify you.`,
      );
    }
    ctx.state.nameId = nameId;
    await next();
  };
