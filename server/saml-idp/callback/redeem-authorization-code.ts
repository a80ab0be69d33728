/**
 * Learns who logged in from the authorization code, redeemed as the token endpoint would for
 * this client, this callback and the flow's PKCE verifier (authorization-code.ts).
 */
import { samlCallbackUrl } from '../addon.js';
import { redeemCode } from '../authorization-code.js';
import { refuse, type SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const redeemAuthorizationCode =
  ({ issuer, providers, log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const { flow } = reached(ctx, 'flow');
    const clientId = flow.clientId;
    const code = typeof ctx.query['code'] === 'string' ? ctx.query['code'] : '';
    const redeemed = code
      ? await redeemCode(providers.provider, code, {
          clientId,
          redirectUri: samlCallbackUrl(issuer, clientId),
          codeVerifier: flow.codeVerifier,
        })
      : undefined;
    if (!redeemed) {
      log.warn({ client_id: clientId }, 'SAML callback with an invalid authorization code');
      return refuse(ctx, 'saml.request_refused', 'This SAML login could not be completed. Please start again from the application.');
    }
    ctx.state.redeemed = redeemed;
    await next();
  };
