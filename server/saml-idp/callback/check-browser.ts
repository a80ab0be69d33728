/**
 * Answers only the browser that brought the AuthnRequest: the flow's key must come back in the
 * cookie the sign-on set, which is cleared either way.
 */
import { browserCookie } from '../flow.js';
import { refuse, type SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const checkBrowser =
  ({ log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const { flowId, flow } = reached(ctx, 'flowId', 'flow');
    const cookie = browserCookie(flowId);
    const browserKey = ctx.cookies.get(cookie);
    ctx.cookies.set(cookie, null, { path: ctx.path });
    if (!browserKey || browserKey !== flow.browserKey) {
      log.warn({ client_id: flow.clientId }, 'SAML callback in another browser than the one that brought the request');
      return refuse(
        ctx,
        'saml.request_refused',
        'This SAML login was started in another browser. Please start again from the application.',
      );
    }
    await next();
  };
