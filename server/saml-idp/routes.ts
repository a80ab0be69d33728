/**
 * Tessera as the SAML identity provider of clients with the SAML add-on, at Auth0's addresses:
 * - `GET|POST /samlp/:client_id`: the single sign-on service. The AuthnRequest is checked and
 *   kept in a one-shot flow, and the browser goes through Tessera's own authorization endpoint
 *   for the client, so the login is the usual one: login page or existing session, connections,
 *   blocked users, post-login rules.
 * - `GET /samlp/:client_id/callback`: where that authorization request returns; the code says
 *   who logged in, and the answer is the signed SAML response, posted to the service provider;
 *   its steps are listed in callback/index.ts.
 * - `GET /samlp/metadata/:client_id`: the identity provider's metadata.
 * @see https://auth0.com/docs/authenticate/protocols/saml/saml-sso-integrations/configure-auth0-saml-identity-provider
 */
import { randomBytes } from 'node:crypto';
import Router, { type RouterContext } from '@koa/router';
import parseBody from 'co-body';
import { newFlowId } from '../interactions/upstream-flow.js';
import { samlCallbackUrl, samlSsoUrl } from './addon.js';
import { type AuthnRequest, type RequestBinding, readAuthnRequest, SamlRequestRefused } from './authn-request.js';
import { codeChallengeOf, newCodeVerifier } from './authorization-code.js';
import { samlCallbackSteps } from './callback/index.js';
import { browserCookie, FLOW_TTL_SECONDS, type SamlFlow } from './flow.js';
import { createSamlIdpSite, refuse, type SamlIdpDependencies } from './site.js';

export type { SamlIdpDependencies } from './site.js';

/** An HTTP-POST AuthnRequest is a few kB, signed ones with a certificate a few more. */
const BODY_LIMIT = '256kb';

export function createSamlIdpRouter(dependencies: SamlIdpDependencies) {
  const router = new Router();
  const site = createSamlIdpSite(dependencies);
  const { issuer, providers, flows, log, findAddon, metadataFor } = site;

  async function signOn(ctx: RouterContext, binding: RequestBinding, fields: Record<string, unknown>) {
    ctx.set('Cache-Control', 'no-store');
    const found = await findAddon(ctx);
    if (!found) return;
    const { client, addon } = found;
    let request: AuthnRequest;
    try {
      request = readAuthnRequest(addon, samlSsoUrl(issuer, client.clientId), binding, fields);
    } catch (error) {
      if (!(error instanceof SamlRequestRefused)) throw error;
      log.info({ client_id: client.clientId, reason: error.message }, 'SAML AuthnRequest refused');
      return refuse(ctx, error.code, error.message);
    }

    const flowId = newFlowId();
    const flow: SamlFlow = {
      kind: 'saml-idp',
      clientId: client.clientId,
      requestId: request.id,
      relayState: request.relayState ?? null,
      codeVerifier: newCodeVerifier(),
      browserKey: randomBytes(24).toString('base64url'),
    };
    await flows.save(flowId, flow, FLOW_TTL_SECONDS);
    const callback = samlCallbackUrl(issuer, client.clientId);
    ctx.cookies.set(browserCookie(flowId), flow.browserKey, {
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure,
      path: new URL(callback).pathname,
      maxAge: FLOW_TTL_SECONDS * 1000,
      signed: false,
    });
    const authorize = new URL(providers.provider.urlFor('authorization'));
    authorize.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: callback,
      state: flowId,
      code_challenge: codeChallengeOf(flow.codeVerifier),
      code_challenge_method: 'S256',
      ...(request.forceAuthn ? { prompt: 'login' } : {}),
    }).toString();
    log.info({ client_id: client.clientId, request_id: request.id, binding }, 'SAML AuthnRequest accepted');
    ctx.status = 303;
    ctx.redirect(authorize.toString());
  }

  router.get('/samlp/metadata/:client_id', async (ctx) => {
    const found = await findAddon(ctx);
    if (!found) return;
    const { metadata } = await metadataFor(found.client.clientId, found.addon);
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = metadata;
  });

  router.get('/samlp/:client_id', (ctx) => signOn(ctx, 'redirect', { ...ctx.query }));
  router.post('/samlp/:client_id', async (ctx) =>
    signOn(ctx, 'post', (await parseBody.form(ctx, { limit: BODY_LIMIT })) as Record<string, unknown>),
  );

  router.get('/samlp/:client_id/callback', ...samlCallbackSteps(site));

  return router;
}
