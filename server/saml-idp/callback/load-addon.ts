/**
 * Reads the client's SAML add-on as it is now, after the login: one turned off or changed
 * while the person was on the login page applies at once.
 */
import type { SamlIdpSite } from '../site.js';
import type { CallbackStep } from './state.js';

export const loadAddon =
  ({ findAddon }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const found = await findAddon(ctx);
    if (!found) return;
    ctx.state.client = found.client;
    ctx.state.addon = found.addon;
    await next();
  };
