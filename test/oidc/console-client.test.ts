import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CLIENT_ID } from '../../server/clients/console-client.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('the admin console’s client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let console_: oidc.Configuration;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  const callback = () => `${tessera.issuer}/admin/callback`;

  /** Logs in through the login page with the console's client, PKCE, asking for the management API. */
  async function consoleLogin(person: { email: string; password: string }, scope = `openid ${MANAGEMENT_SCOPES.join(' ')}`) {
    return login(console_, {
      scope,
      username: person.email,
      password: person.password,
      redirectUri: callback(),
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    console_ = await discover(tessera.issuer, CONSOLE_CLIENT_ID);
  });
  afterAll(() => tessera?.stop());

  it('is registered at start as a public, first-party code + PKCE client coming back under $ISSUER/admin/', async () => {
    expect(await admin.clients.get.query({ client_id: CONSOLE_CLIENT_ID })).toMatchObject({
      client_id: CONSOLE_CLIENT_ID,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: [callback()],
      post_logout_redirect_uris: [`${tessera.issuer}/admin/`],
      is_first_party: true,
      require_pkce: true,
      management_scopes: [],
      connections: ['Username-Password'],
    });
  });

  it('logs an operator in through the login page, without a consent page, with a token users.list accepts', async () => {
    const operator = await createUser(tessera);
    await admin.users.update.mutate({ id: operator.profile.user_id, management_scopes: ['read:users'] });
    const { tokens } = await consoleLogin(operator);
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      client_id: CONSOLE_CLIENT_ID,
      sub: operator.profile.user_id,
      aud: `${tessera.issuer}/api/v2/`,
      scope: 'read:users',
    });
    const page = await managementClient(tessera.issuer, tokens.access_token).users.list.query({ q: `email:"${operator.email}"` });
    expect(page.users.map((user) => user.user_id)).toEqual([operator.profile.user_id]);
  });

  it('gives a user without management scopes a token that users.list refuses', async () => {
    const person = await createUser(tessera);
    const { tokens } = await consoleLogin(person);
    expect(decodeJwt(tokens.access_token)['scope']).toBeUndefined();
    const error = await errorOf(managementClient(tessera.issuer, tokens.access_token).users.list.query({}));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('read:users');
  });

  it('refuses a code exchange without the PKCE verifier', async () => {
    const authorization = oidc.buildAuthorizationUrl(console_, { redirect_uri: callback(), scope: 'openid' });
    const response = await fetch(authorization, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('cannot be deleted, given a secret, or changed but for its connections, with FORBIDDEN', async () => {
    for (const call of [
      () => admin.clients.delete.mutate({ client_id: CONSOLE_CLIENT_ID }),
      () => admin.clients.rotateSecret.mutate({ client_id: CONSOLE_CLIENT_ID }),
      () => admin.clients.update.mutate({ client_id: CONSOLE_CLIENT_ID, redirect_uris: ['https://evil.example/callback'] }),
      () => admin.clients.update.mutate({ client_id: CONSOLE_CLIENT_ID, is_first_party: false, connections: ['Username-Password'] }),
    ]) {
      const error = await errorOf(call());
      expect(error).toMatchObject({ code: 'FORBIDDEN', field: 'client_id' });
      expect(error.message).toContain('managed by Tessera');
    }
    const other = await admin.connections.create.mutate({ name: 'operators', strategy: 'database' });
    expect(
      await admin.clients.update.mutate({ client_id: CONSOLE_CLIENT_ID, connections: ['Username-Password', other.name] }),
    ).toMatchObject({ connections: expect.arrayContaining(['Username-Password', 'operators']), redirect_uris: [callback()] });
  });

  it('is registered again as it was by a second node on the same database, its connections kept', async () => {
    const second = await startTestTessera({ databaseUrl: tessera.databaseUrl });
    try {
      const seen = await (await adminClient(second.issuer)).clients.get.query({ client_id: CONSOLE_CLIENT_ID });
      expect(seen).toMatchObject({ redirect_uris: [`${second.issuer}/admin/callback`], token_endpoint_auth_method: 'none' });
      expect(seen.connections).toEqual(expect.arrayContaining(['Username-Password', 'operators']));
    } finally {
      await second.stop();
    }
  });
});
