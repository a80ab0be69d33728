import { parse } from 'node-html-parser';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import samlify from 'samlify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RedirectStrategy } from '../../server/connections/strategy.js';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { type ResponseShape, type SamlIdp, type SamlIdpUser, startSamlIdp } from '../support/saml-idp.js';
import { startTestTessera } from '../support/tessera.js';

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const DISPLAY_NAME_OID = 'urn:oid:2.16.840.1.113730.3.1.241';
const UID_OID = 'urn:oid:0.9.2342.19200300.100.1.1';
const EMPLOYEE_NUMBER_OID = 'urn:oid:2.16.840.1.113730.3.1.3';
const CONNECTION = 'Corp-SAML';

function person(nameId: string, given: string, family: string, extra: Record<string, string> = {}): SamlIdpUser {
  return {
    nameId,
    attributes: {
      [`${CLAIMS}/emailaddress`]: `${nameId}@corp.example`,
      [`${CLAIMS}/givenname`]: given,
      [`${CLAIMS}/surname`]: family,
      [DISPLAY_NAME_OID]: `${given} ${family}`,
      [UID_OID]: nameId,
      ...extra,
    },
  };
}

describe('logging in through a saml connection', () => {
  const logLines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;
  let idp: SamlIdp;
  let config: oidc.Configuration;

  const metadataUrl = (connection: string) => `${tessera.issuer}/samlp/metadata?connection=${encodeURIComponent(connection)}`;
  const acsUrl = (connection: string) => `${tessera.issuer}/login/callback?connection=${encodeURIComponent(connection)}`;
  const entityId = (connection: string) => `urn:tessera:${new URL(tessera.issuer).host}:${connection}`;
  const errorText = (page: Page) => page.document.querySelector('.error')?.text;
  const allUsers = async () => (await admin.users.list.query({ per_page: 100, sort: 'user_id:1' })).users;

  async function createConnection(name: string, options: Record<string, unknown> = {}, enabledClients: string[] = []) {
    await admin.connections.create.mutate({
      name,
      strategy: 'saml',
      options: { sign_in_url: idp.ssoUrl, signing_cert: idp.certificatePem, idp_entity_id: idp.entityId, ...options },
      enabled_clients: enabledClients,
    });
    // The IdP administrator's side: import the service provider's metadata.
    idp.trust(await (await fetch(metadataUrl(name))).text());
  }

  /** The authorization request, up to the identity provider's auto-posting form. */
  async function toIdentityProvider(params: Record<string, string> = { connection: CONNECTION }) {
    const started = await openLoginPage(config, 'openid profile email', params);
    if (!isPage(started.page)) throw new Error(`expected the identity provider's form, got a redirect to ${started.page.redirect}`);
    expect(started.page.url.startsWith(idp.ssoUrl)).toBe(true);
    return { ...started, form: started.page };
  }

  /** Posts the identity provider's form to Tessera and finishes the code flow. */
  async function finish(started: Awaited<ReturnType<typeof toIdentityProvider>>, values: Record<string, string> = {}) {
    const after = await started.browser.submit(started.form, values, REDIRECT_URI);
    if (isPage(after)) throw new Error(`login did not complete: ${after.status} ${errorText(after) ?? after.html.slice(0, 300)}`);
    return oidc.authorizationCodeGrant(config, new URL(after.redirect), {
      pkceCodeVerifier: started.codeVerifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
  }

  const samlLogin = async (params?: Record<string, string>) => finish(await toIdentityProvider(params));

  /** A login whose SAML response Tessera must refuse: the page, its message, and what was logged. */
  async function refusedLogin(values: Record<string, string> = {}, started?: Awaited<ReturnType<typeof toIdentityProvider>>) {
    const logged = logLines.length;
    const at = started ?? (await toIdentityProvider());
    const after = await at.browser.submit(at.form, values, REDIRECT_URI);
    if (!isPage(after)) throw new Error(`the login went through: ${after.redirect}`);
    return { page: after, error: errorText(after), logs: logLines.slice(logged) };
  }

  const samlResponseOf = (page: Page) => page.document.querySelector('input[name=SAMLResponse]')?.getAttribute('value') ?? '';

  beforeAll(async () => {
    const sink = logSink(logLines);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink) });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    idp = await startSamlIdp(person('alice', 'Alice', 'Archer'));
    const client = await createClient(tessera);
    await createConnection(CONNECTION, {}, [client.client_id]);
    await createConnection('Corp-SAML-Staff', { user_id_attribute: EMPLOYEE_NUMBER_OID }, [client.client_id]);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await idp?.close();
  });
  beforeEach(() => {
    idp.shape = {};
  });

  describe('the service provider metadata', () => {
    it('names the entity id urn:tessera:<issuer host>:<connection> and the ACS /login/callback?connection=<name> over HTTP-POST', async () => {
      const response = await fetch(metadataUrl(CONNECTION));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
      // Read as an identity provider reads it.
      const metadata = samlify.SPMetadata(await response.text());
      expect(metadata.getEntityID()).toBe(entityId(CONNECTION));
      expect(metadata.getAssertionConsumerService('post')).toBe(acsUrl(CONNECTION));
      expect(metadata.isWantAssertionsSigned()).toBe(true);
      expect(metadata.isAuthnRequestSigned()).toBe(false);
    });

    it('is not found for an unknown connection or one of another strategy', async () => {
      expect((await fetch(metadataUrl('No-Such-Connection'))).status).toBe(404);
      expect((await fetch(metadataUrl('Username-Password'))).status).toBe(404);
      expect((await fetch(`${tessera.issuer}/samlp/metadata`)).status).toBe(400);
    });
  });

  it('goes straight to the identity provider for connection=<name> with an AuthnRequest from its entity id, and creates the normalized user', async () => {
    idp.user = person('alice', 'Alice', 'Archer');
    const started = await toIdentityProvider();
    const request = idp.requests.at(-1);
    expect(request).toMatchObject({ issuer: entityId(CONNECTION), assertionConsumerServiceUrl: acsUrl(CONNECTION) });
    expect(request?.relayState).toBeTruthy();
    expect(started.form.document.querySelector('form')?.getAttribute('action')).toBe(acsUrl(CONNECTION));

    const tokens = await finish(started);
    const userId = `saml|${CONNECTION}|alice`;
    const expected = { email: 'alice@corp.example', given_name: 'Alice', family_name: 'Archer', name: 'Alice Archer', nickname: 'alice' };
    expect(tokens.claims()).toMatchObject({ sub: userId, ...expected });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({ sub: userId, ...expected });
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({ user_id: userId, ...expected, logins_count: 1 });
    expect(profile.identities).toEqual([
      expect.objectContaining({ connection: CONNECTION, provider: 'saml', user_id: `${CONNECTION}|alice`, isSocial: false }),
    ]);
  });

  it('refreshes the profile at the next login through the login page link, with the attributes the identity provider sends now', async () => {
    idp.user = person('alice', 'Alicia', 'Bowman', { [`${CLAIMS}/emailaddress`]: 'alicia.bowman@corp.example' });
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid profile email');
    if (!isPage(page)) throw new Error('expected the login page');
    const link = page.document
      .querySelectorAll('a.connection')
      .find((candidate) => candidate.text.trim() === `Continue with ${CONNECTION}`);
    const form = await browser.navigate(new URL(link?.getAttribute('href') ?? '', page.url).toString(), REDIRECT_URI);
    if (!isPage(form)) throw new Error('expected the identity provider form');
    const tokens = await finish({ page, browser, codeVerifier, state, nonce, form });

    const userId = `saml|${CONNECTION}|alice`;
    const expected = { email: 'alicia.bowman@corp.example', given_name: 'Alicia', family_name: 'Bowman', name: 'Alicia Bowman' };
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject(expected);
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ ...expected, logins_count: 2 });
  });

  it('takes the user id from options.user_id_attribute instead of the NameID', async () => {
    idp.user = person('transient-8f3a', 'Carol', 'Chen', { [EMPLOYEE_NUMBER_OID]: 'E1234' });
    const tokens = await samlLogin({ connection: 'Corp-SAML-Staff' });
    expect(tokens.claims()).toMatchObject({ sub: 'saml|Corp-SAML-Staff|E1234', given_name: 'Carol' });
  });

  it('accepts a response signed as a whole as well as in its assertion', async () => {
    idp.user = person('dave', 'Dave', 'Dunn');
    idp.shape = { signing: 'response-and-assertion' };
    const started = await toIdentityProvider();
    const xml = Buffer.from(samlResponseOf(started.form), 'base64').toString('utf8');
    expect(xml.match(/<ds:Signature\b/g)).toHaveLength(2);
    expect((await finish(started)).claims()).toMatchObject({ sub: `saml|${CONNECTION}|dave`, family_name: 'Dunn' });
  });

  it('links: the root keeps the primary, the SAML attributes stay in profileData, and a later SAML login signs in the primary and refreshes only profileData', async () => {
    const { profile: primary } = await createUser(tessera, { name: 'Primary Person', given_name: 'Primary', family_name: 'Person' });
    idp.user = person('erin', 'Erin', 'First');
    await samlLogin();
    const secondaryId = `saml|${CONNECTION}|erin`;
    await admin.users.link.mutate({ id: primary.user_id, link_with: secondaryId });

    const linked = await admin.users.get.query({ id: primary.user_id });
    expect(linked).toMatchObject({ name: 'Primary Person', given_name: 'Primary', family_name: 'Person', email: primary.email });
    expect(linked.identities?.[1]).toMatchObject({
      provider: 'saml',
      user_id: `${CONNECTION}|erin`,
      profileData: { given_name: 'Erin', family_name: 'First' },
    });
    expect((await errorOf(admin.users.get.query({ id: secondaryId }))).code).toBe('NOT_FOUND');

    idp.user = person('erin', 'Erin', 'Second');
    const tokens = await samlLogin();
    expect(tokens.claims()).toMatchObject({ sub: primary.user_id, family_name: 'Person' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, primary.user_id)).toMatchObject({
      name: 'Primary Person',
      family_name: 'Person',
    });
    const after = await admin.users.get.query({ id: primary.user_id });
    expect(after).toMatchObject({ name: 'Primary Person', given_name: 'Primary', family_name: 'Person', email: primary.email });
    expect(after.identities?.[1]).toMatchObject({
      user_id: `${CONNECTION}|erin`,
      profileData: { given_name: 'Erin', family_name: 'Second' },
    });
  });

  describe('refuses a bad response with a page saying why, logs it, and creates or changes no user', () => {
    const cases: Array<[string, ResponseShape, string]> = [
      ['an unsigned response and assertion', { signing: 'none' }, 'the SAML assertion is not signed'],
      ['a signed response whose assertion is unsigned', { signing: 'response-only' }, 'the SAML assertion is not signed'],
      [
        'an assertion signed with another key',
        { signing: 'other-key' },
        "the SAML assertion's signature does not verify with the connection's signing certificate",
      ],
      ['an assertion expired beyond the clock skew', { notOnOrAfter: new Date(Date.now() - 10 * 60_000) }, 'the SAML assertion is expired'],
      [
        'an assertion for another audience',
        { audience: 'urn:tessera:elsewhere.example:Corp-SAML' },
        'the SAML assertion is meant for another audience than this service provider',
      ],
      [
        'an assertion for another recipient',
        { recipient: 'https://elsewhere.example/login/callback' },
        'the SAML assertion is meant for another recipient (https://elsewhere.example/login/callback)',
      ],
      [
        'a response to another destination',
        { destination: 'https://elsewhere.example/login/callback' },
        'the SAML response is addressed to another destination (https://elsewhere.example/login/callback)',
      ],
      [
        'an assertion from another issuer',
        { issuer: 'https://impostor.example/metadata' },
        'the SAML assertion was issued by "https://impostor.example/metadata", not by this connection\'s identity provider',
      ],
    ];

    it.each(cases)('%s', async (_title, shape, message) => {
      const before = await allUsers();
      idp.user = person('mallory', 'Mallory', 'Mole');
      idp.shape = shape;
      const { page, error, logs } = await refusedLogin();
      expect(page.status).toBe(400);
      expect(error).toContain(message);
      expect(logs).toContainEqual(
        expect.objectContaining({
          msg: 'upstream login failed',
          connection: CONNECTION,
          code: 'auth.invalid_response',
          reason: expect.stringContaining(message),
        }),
      );
      expect(await allUsers()).toEqual(before);
    });

    it('a mapping that yields an invalid email', async () => {
      const before = await allUsers();
      idp.user = person('mallory', 'Mallory', 'Mole', { [`${CLAIMS}/emailaddress`]: 'not-an-email' });
      const { page, error, logs } = await refusedLogin();
      expect(page.status).toBe(400);
      expect(error).toMatch(/^connection "Corp-SAML" returned an invalid profile: email: /);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'upstream login failed', code: 'profile.invalid' }));
      expect(await allUsers()).toEqual(before);
    });

    it('a response whose status is not Success, even with a signed assertion', async () => {
      const before = await allUsers();
      idp.user = person('mallory', 'Mallory', 'Mole');
      idp.shape = { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' };
      const { page, error, logs } = await refusedLogin();
      expect(page.status).toBe(502);
      expect(error).toContain('the identity provider did not log the user in (status urn:oasis:names:tc:SAML:2.0:status:Responder)');
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'upstream login failed', code: 'auth.upstream_failed' }));
      expect(await allUsers()).toEqual(before);
    });

    it('an expired assertion about a known user, with new attributes, leaves its profile as it was', async () => {
      idp.user = person('alice', 'Alice', 'Archer');
      await samlLogin();
      const before = await allUsers();
      idp.user = person('alice', 'Eve', 'Forged');
      idp.shape = { notOnOrAfter: new Date(Date.now() - 10 * 60_000) };
      const { error } = await refusedLogin();
      expect(error).toContain('the SAML assertion is expired');
      expect(await allUsers()).toEqual(before);
    });

    it('a captured response posted again to a new login (its InResponseTo answers the old one)', async () => {
      idp.user = person('frank', 'Frank', 'Fisher');
      const first = await toIdentityProvider();
      const captured = samlResponseOf(first.form);
      await finish(first);
      const before = await allUsers();

      const second = await toIdentityProvider();
      const { page, error, logs } = await refusedLogin({ SAMLResponse: captured }, second);
      expect(page.status).toBe(400);
      expect(error).toContain("the SAML response does not answer this login's request (InResponseTo)");
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'upstream login failed', code: 'auth.invalid_response' }));
      expect(await allUsers()).toEqual(before);
    });
  });

  it('accepts each assertion once: the same response for the same request is refused as replayed the second time', async () => {
    const connection = await tessera.services.connections.findByName(CONNECTION);
    if (!connection) throw new Error('no connection');
    const strategy = tessera.services.strategies.get('saml') as RedirectStrategy;
    idp.user = person('grace', 'Grace', 'Green');
    const { url, state } = await strategy.begin(connection, 'flow-replayed');
    const form = parse(await (await new Browser().request(url)).text());
    const body = {
      SAMLResponse: form.querySelector('input[name=SAMLResponse]')?.getAttribute('value') ?? '',
      RelayState: form.querySelector('input[name=RelayState]')?.getAttribute('value') ?? '',
    };
    expect(body.RelayState).toBe('flow-replayed');
    const request = { method: 'POST', url: new URL(acsUrl(CONNECTION)), body };

    await expect(strategy.complete(connection, state, request)).resolves.toMatchObject({ id: 'grace' });
    await expect(strategy.complete(connection, state, request)).rejects.toThrow('the SAML assertion was already used (replayed)');
  });

  it('sends the NameID along under the nameidentifier claim, for a mapping to read', async () => {
    const connection = await tessera.services.connections.findByName(CONNECTION);
    if (!connection) throw new Error('no connection');
    const strategy = tessera.services.strategies.get('saml') as RedirectStrategy;
    idp.user = { nameId: 'heidi', attributes: {} };
    const { url, state } = await strategy.begin(connection, 'flow-name-id');
    const form = parse(await (await fetch(url)).text());
    const body = { SAMLResponse: form.querySelector('input[name=SAMLResponse]')?.getAttribute('value') ?? '' };
    const user = await strategy.complete(connection, state, { method: 'POST', url: new URL(acsUrl(CONNECTION)), body });
    expect(user).toEqual({ id: 'heidi', attributes: { [`${CLAIMS}/nameidentifier`]: 'heidi' } });
    expect(idp.requests.at(-1)?.relayState).toBe('flow-name-id');
  });
});
