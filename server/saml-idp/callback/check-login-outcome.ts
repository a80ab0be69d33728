/**
 * Stops at an authorization error response (the person cancelled, or the login was refused):
 * there is no user to answer for, and the page says why.
 */
import { refuse, type SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const checkLoginOutcome =
  ({ log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const { flow } = reached(ctx, 'flow');
    const error = ctx.query['error'];
    if (typeof error === 'string') {
      const description = (typeof ctx.query['error_description'] === 'string' ? ctx.query['error_description'] : error).replace(/\.$/, '');
      log.info({ client_id: flow.clientId, error }, 'SAML login ended without a user');
      return refuse(
        ctx,
        error === 'access_denied' ? 'auth.access_denied' : 'saml.request_refused',
        `The login did not complete: ${description}.`,
      );
    }
    await next();
  };
