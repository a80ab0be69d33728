import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf } from '../support/management-client.js';
import { discover, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('PKCE on the authorization code flow', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    user = await createUser(tessera);
  });
  afterAll(() => tessera?.stop());

  const webApp = (extra: Record<string, unknown> = {}) =>
    admin.clients.create.mutate({ name: 'Web App', redirect_uris: [REDIRECT_URI], ...extra });

  /** An authorization request without code_challenge, as a relying party that never heard of PKCE sends it. */
  async function withoutPkce(config: oidc.Configuration, browser = new Browser()) {
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state });
    return { state, browser, visit: await browser.navigate(url.toString(), REDIRECT_URI) };
  }

  function expectPkceRequired(visit: Awaited<ReturnType<typeof withoutPkce>>['visit']) {
    if (isPage(visit)) throw new Error(`expected the error to go back to the client, got a ${visit.status} page`);
    const params = new URL(visit.redirect).searchParams;
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/PKCE/);
    expect(params.has('code')).toBe(false);
  }

  it('refuses an authorization request without PKCE from a confidential client created through clients.*', async () => {
    const client = await webApp();
    expect(client.require_pkce).toBe(true);
    expectPkceRequired((await withoutPkce(await discover(tessera.issuer, client.client_id, client.client_secret))).visit);
  });

  it('refuses it from a confidential client stored without the setting, as from before it existed', async () => {
    const client = await createClient(tessera);
    expect((await admin.clients.get.query({ client_id: client.client_id })).require_pkce).toBe(true);
    expectPkceRequired((await withoutPkce(await discover(tessera.issuer, client.client_id, client.client_secret))).visit);
  });

  it('lets a confidential client opted out with require_pkce: false log a user in without PKCE', async () => {
    const client = await webApp();
    expect((await admin.clients.update.mutate({ client_id: client.client_id, require_pkce: false })).require_pkce).toBe(false);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { state, browser, visit } = await withoutPkce(config);
    if (!isPage(visit)) throw new Error(`expected the login page, got a redirect to ${visit.redirect}`);
    const back = await browser.submit(visit, { username: user.email, password: user.password }, REDIRECT_URI);
    if (isPage(back)) throw new Error(`the login did not complete: ${back.status}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.redirect), { expectedState: state, idTokenExpected: true });
    expect(tokens.claims()?.sub).toBe(user.profile.user_id);

    await admin.clients.update.mutate({ client_id: client.client_id, require_pkce: true });
    expectPkceRequired((await withoutPkce(config)).visit);
  });

  it('never lets a public client opt out: BAD_REQUEST naming require_pkce on create and on update', async () => {
    expect(await errorOf(webApp({ token_endpoint_auth_method: 'none', require_pkce: false }))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'require_pkce',
    });
    const optedOut = await webApp({ require_pkce: false });
    expect(await errorOf(admin.clients.update.mutate({ client_id: optedOut.client_id, token_endpoint_auth_method: 'none' }))).toMatchObject(
      {
        code: 'BAD_REQUEST',
        field: 'require_pkce',
      },
    );
    const spa = await webApp({ token_endpoint_auth_method: 'none' });
    expect(await errorOf(admin.clients.update.mutate({ client_id: spa.client_id, require_pkce: false }))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'require_pkce',
    });
  });
});
