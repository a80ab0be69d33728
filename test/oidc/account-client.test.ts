/**
 * tessera-account, the account page's own client: registered at every start, kept from clients.* as
 * the console's is, offering every connection, and giving a person the self-service scopes.
 */
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_PAGE_SCOPES } from '../../server/accounts/account-site.js';
import { ACCOUNT_CLIENT_ID } from '../../server/clients/account-client.js';
import { SELF_SERVICE_SCOPES } from '../../server/oidc/management-api.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('the account page’s client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let account: oidc.Configuration;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  const callback = () => `${tessera.issuer}/account/callback`;

  /** Signs in through the login page with the account client, PKCE, asking for the management API. */
  const accountLogin = (person: { email: string; password: string }, connection: string, scope = ACCOUNT_PAGE_SCOPES.join(' ')) =>
    login(account, {
      scope,
      username: person.email,
      password: person.password,
      redirectUri: callback(),
      extraParams: { resource: `${tessera.issuer}/api/v2/`, connection },
    });

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    account = await discover(tessera.issuer, ACCOUNT_CLIENT_ID);
  });
  afterAll(() => tessera?.stop());

  it('is registered at start as a public, first-party code + PKCE client coming back under $ISSUER/account/', async () => {
    expect(await admin.clients.get.query({ client_id: ACCOUNT_CLIENT_ID })).toMatchObject({
      client_id: ACCOUNT_CLIENT_ID,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: [callback()],
      post_logout_redirect_uris: [`${tessera.issuer}/account/`],
      is_first_party: true,
      require_pkce: true,
      management_scopes: [],
    });
  });

  it('gives a person every self-service scope asked for, without a consent page, and no management scope they do not hold', async () => {
    const person = await createUser(tessera);
    const { tokens } = await accountLogin(person, 'Username-Password', `${ACCOUNT_PAGE_SCOPES.join(' ')} read:users`);
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ client_id: ACCOUNT_CLIENT_ID, sub: person.profile.user_id, aud: `${tessera.issuer}/api/v2/` });
    expect(String(claims['scope']).split(' ').sort()).toEqual([...SELF_SERVICE_SCOPES].sort());
    expect(tokens.claims()).toMatchObject({ sub: person.profile.user_id, email: person.email });
    const me = managementClient(tessera.issuer, tokens.access_token);
    expect(await me.me.get.query()).toMatchObject({ user_id: person.profile.user_id });
    expect((await errorOf(me.users.list.query({}))).code).toBe('FORBIDDEN');
  });

  it('offers every connection on its login page, those enabled for no application included, and signs their people in', async () => {
    const shop = await createClient(tessera);
    await admin.connections.create.mutate({ name: 'Back-Office', strategy: 'database', enabled_clients: [] });
    const staff = await tessera.services.profiles.createDatabaseUser({
      connection: 'Back-Office',
      email: 'clerk@back-office.example',
      password: 'a clerk password',
    });
    const offered = async (config: oidc.Configuration, redirectUri?: string) => {
      const { page } = await openLoginPage(config, 'openid', {}, undefined, redirectUri);
      if (!isPage(page)) throw new Error('expected a login page');
      return page.document.querySelectorAll('input[name="connection"]').map((input) => input.getAttribute('value'));
    };
    expect(await offered(account, callback())).toEqual(expect.arrayContaining(['Back-Office', 'Username-Password']));
    expect(await offered(await discover(tessera.issuer, shop.client_id, shop.client_secret))).not.toContain('Back-Office');

    const { tokens } = await accountLogin({ email: 'clerk@back-office.example', password: 'a clerk password' }, 'Back-Office');
    expect(decodeJwt(tokens.access_token)['sub']).toBe(staff.user_id);
    expect(await managementClient(tessera.issuer, tokens.access_token).me.settings.query()).toMatchObject({
      password: { min_length: 8 },
      connections: [{ name: 'Username-Password', strategy: 'database' }],
    });
  });

  it('cannot be deleted, given a secret, created again or changed at all, with FORBIDDEN', async () => {
    for (const call of [
      () => admin.clients.delete.mutate({ client_id: ACCOUNT_CLIENT_ID }),
      () => admin.clients.rotateSecret.mutate({ client_id: ACCOUNT_CLIENT_ID }),
      () => admin.clients.update.mutate({ client_id: ACCOUNT_CLIENT_ID, redirect_uris: ['https://evil.example/callback'] }),
      () => admin.clients.update.mutate({ client_id: ACCOUNT_CLIENT_ID, connections: ['Username-Password'] }),
    ]) {
      const error = await errorOf(call());
      expect(error).toMatchObject({ code: 'FORBIDDEN', field: 'client_id' });
      expect(error.message).toContain('managed by Tessera');
    }
    // The CLI's `--id` is the only way to choose a client's id.
    await expect(
      tessera.services.management.clients.create({ name: 'Impostor' } as never, new Set(), { clientId: ACCOUNT_CLIENT_ID }),
    ).rejects.toMatchObject({ code: 'client.reserved' });
    expect(await admin.clients.get.query({ client_id: ACCOUNT_CLIENT_ID })).toMatchObject({ redirect_uris: [callback()] });
  });

  it('is registered again as it was by a second node on the same database', async () => {
    const second = await startTestTessera({ databaseUrl: tessera.databaseUrl });
    try {
      const seen = await (await adminClient(second.issuer)).clients.get.query({ client_id: ACCOUNT_CLIENT_ID });
      expect(seen).toMatchObject({ redirect_uris: [`${second.issuer}/account/callback`], token_endpoint_auth_method: 'none' });
    } finally {
      await second.stop();
    }
  });
});
