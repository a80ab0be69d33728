/**
 * Tessera as the SAML identity provider of clients with the SAML add-on, at Auth0's addresses:
 * - `GET|POST /samlp/:client_id`: the single sign-on service. The AuthnRequest is checked and
 *   kept in a one-shot flow, and the browser goes through Tessera's own authorization endpoint
 *   for the client, so the login is the usual one: login page or existing session, connections,
 *   blocked users, post-login rules.
 * - `GET /samlp/:client_id/callback`: where that authorization request returns; the code says
 *   who logged in, and the answer is the signed SAML response, posted to the service provider.
 * - `GET /samlp/metadata/:client_id`: the identity provider's metadata.
 * @see https://auth0.com/docs/authenticate/protocols/saml/saml-sso-integrations/configure-auth0-saml-identity-provider
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import type { Client } from 'oidc-provider';
import type { KeyQueries } from '../../adapters/queries/keys.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import { newFlowId } from '../interactions/routes.js';
import { errorPage } from '../interactions/views.js';
import type { Logger } from '../logger.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { ProfileService } from '../profiles/profile-service.js';
import { SAML_ADDON, samlAddonSchema, samlCallbackUrl, samlIdpEntityId, samlSsoUrl, type SamlAddon } from './addon.js';
import { nameIdOf, samlAttributes } from './attributes.js';
import { codeChallengeOf, newCodeVerifier, redeemCode } from './authorization-code.js';
import { readAuthnRequest, SamlRequestRefused, type RequestBinding } from './authn-request.js';
import { samlPair } from './entities.js';
import { idpMetadata } from './metadata.js';
import { POST_FORM_CSP, postFormPage } from './post-form.js';
import { signedResponse } from './response.js';
import { createSigningKeySource } from './signing-key.js';

export interface SamlIdpDependencies {
  issuer: string;
  providers: ProviderHost;
  profiles: ProfileService;
  flows: LoginFlowQueries;
  keys: KeyQueries;
  logger: Logger;
}

/** As long as the interaction it leads to: the person may take a while on the login page. */
const FLOW_TTL_SECONDS = 60 * 60;
/** An HTTP-POST AuthnRequest is a few kB, signed ones with a certificate a few more. */
const BODY_LIMIT = '256kb';

/** What the flow keeps between the AuthnRequest and the callback; a type alias, which (unlike an interface) fits the flows' JSON record. */
type SamlFlow = {
  kind: 'saml-idp';
  clientId: string;
  requestId: string;
  relayState: string | null;
  codeVerifier: string;
  /** Also set as a cookie: the callback only answers the browser that brought the request. */
  browserKey: string;
};

const browserCookie = (flowId: string) => `tessera.samlp.${flowId}`;

export function createSamlIdpRouter({ issuer, providers, profiles, flows, keys, logger }: SamlIdpDependencies) {
  const router = new Router();
  const log = logger.child({ component: 'saml-idp' });
  const signingKey = createSigningKeySource(keys, new URL(issuer).host);
  const idpEntityId = samlIdpEntityId(issuer);

  function refuse(ctx: Context, status: number, message: string): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = errorPage('SAML login refused', message);
  }

  /** The client and its add-on, or a 404 page naming what is missing. */
  async function findAddon(ctx: Context): Promise<{ client: Client; addon: SamlAddon } | undefined> {
    const clientId = String(ctx.params['client_id']);
    const client = await providers.provider.Client.find(clientId);
    if (!client) {
      refuse(ctx, 404, `There is no application with client_id "${clientId}".`);
      return undefined;
    }
    const addon = samlAddonSchema.safeParse(client[SAML_ADDON]);
    if (!addon.success) {
      refuse(ctx, 404, `The application "${client.clientName ?? clientId}" does not have the SAML add-on enabled.`);
      return undefined;
    }
    return { client, addon: addon.data };
  }

  async function metadataFor(clientId: string, addon: SamlAddon) {
    const key = await signingKey();
    return { key, metadata: idpMetadata({ entityId: idpEntityId, ssoUrl: samlSsoUrl(issuer, clientId), certificatePem: key.certificatePem, addon }) };
  }

  async function signOn(ctx: Context, binding: RequestBinding, fields: Record<string, unknown>) {
    ctx.set('Cache-Control', 'no-store');
    const found = await findAddon(ctx);
    if (!found) return;
    const { client, addon } = found;
    let request;
    try {
      request = readAuthnRequest(addon, samlSsoUrl(issuer, client.clientId), binding, fields);
    } catch (error) {
      if (!(error instanceof SamlRequestRefused)) throw error;
      log.info({ client_id: client.clientId, reason: error.message }, 'SAML AuthnRequest refused');
      return refuse(ctx, error.httpStatus, error.message);
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
  router.post('/samlp/:client_id', async (ctx) => signOn(ctx, 'post', (await parseBody.form(ctx, { limit: BODY_LIMIT })) as Record<string, unknown>));

  router.get('/samlp/:client_id/callback', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const clientId = String(ctx.params['client_id']);
    const flowId = typeof ctx.query['state'] === 'string' ? ctx.query['state'] : '';
    const flow = flowId ? ((await flows.take(flowId)) as Partial<SamlFlow> | undefined) : undefined;
    if (flow?.kind !== 'saml-idp' || flow.clientId !== clientId || !flow.requestId || !flow.codeVerifier) {
      log.info({ client_id: clientId }, 'SAML callback with an unknown, expired or used state');
      return refuse(ctx, 400, 'This SAML login has expired or was already used. Please start again from the application.');
    }
    const cookie = browserCookie(flowId);
    const browserKey = ctx.cookies.get(cookie);
    ctx.cookies.set(cookie, null, { path: ctx.path });
    if (!browserKey || browserKey !== flow.browserKey) {
      log.warn({ client_id: clientId }, 'SAML callback in another browser than the one that brought the request');
      return refuse(ctx, 400, 'This SAML login was started in another browser. Please start again from the application.');
    }
    const error = ctx.query['error'];
    if (typeof error === 'string') {
      const description = (typeof ctx.query['error_description'] === 'string' ? ctx.query['error_description'] : error).replace(/\.$/, '');
      log.info({ client_id: clientId, error }, 'SAML login ended without a user');
      return refuse(ctx, error === 'access_denied' ? 403 : 400, `The login did not complete: ${description}.`);
    }

    const code = typeof ctx.query['code'] === 'string' ? ctx.query['code'] : '';
    const redeemed = code
      ? await redeemCode(providers.provider, code, { clientId, redirectUri: samlCallbackUrl(issuer, clientId), codeVerifier: flow.codeVerifier })
      : undefined;
    if (!redeemed) {
      log.warn({ client_id: clientId }, 'SAML callback with an invalid authorization code');
      return refuse(ctx, 400, 'This SAML login could not be completed. Please start again from the application.');
    }
    // The add-on as it is now: one turned off or changed during the login applies at once.
    const found = await findAddon(ctx);
    if (!found) return;
    const { client, addon } = found;
    const profile = await profiles.getProfile(redeemed.accountId);
    // The login page turned away users blocked before; this is one blocked or deleted since.
    if (!profile || profile.blocked) {
      log.info({ client_id: clientId, user_id: redeemed.accountId }, 'SAML response refused: user blocked or deleted');
      return refuse(ctx, 403, profile ? 'This account is blocked.' : 'This account no longer exists.');
    }
    const nameId = nameIdOf(profile, addon);
    if (nameId === undefined) {
      log.info({ client_id: clientId, user_id: profile.user_id }, 'SAML response refused: no email for the NameID');
      return refuse(ctx, 400, `This account has no email address, which ${client.clientName ?? clientId} needs to identify you.`);
    }
    const { key, metadata } = await metadataFor(clientId, addon);
    const samlResponse = await signedResponse(samlPair(metadata, key, addon), {
      idpEntityId,
      addon,
      inResponseTo: flow.requestId,
      nameId,
      attributes: samlAttributes(profile, addon.mappings),
      authnInstant: redeemed.authTime,
      now: new Date(),
    });
    log.info({ client_id: clientId, user_id: profile.user_id, request_id: flow.requestId }, 'SAML response issued');
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', POST_FORM_CSP);
    ctx.body = postFormPage({
      action: addon.acs_url,
      samlResponse,
      relayState: flow.relayState ?? undefined,
      applicationName: client.clientName ?? clientId,
    });
  });

  return router;
}
