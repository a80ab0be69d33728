/**
 * Auth0's own ManagementClient (the `auth0` package, unchanged) reading Tessera's user, ticket,
 * second-factor and user-block answers: what proves the shapes parse as the SDK expects. The SDK
 * builds https://<domain>/api/v2; its `fetch` option carries each call to the test's plain-HTTP
 * port (the TLS harness of the end-to-end SDK test does the same over https).
 */
import { ManagementClient } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../../server/clients/bootstrap.js';
import { clientCredentialsToken } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

describe('Auth0’s ManagementClient against the /api/v2 user operations', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let auth0: ManagementClient;

  beforeAll(async () => {
    tessera = await startTestTessera();
    const { host } = new URL(tessera.issuer);
    auth0 = new ManagementClient({
      domain: host,
      token: await clientCredentialsToken(tessera.issuer),
      fetch: (url, init) => fetch(String(url).replace(`https://${host}/`, `${tessera.issuer}/`), init),
    });
  });
  afterAll(() => tessera?.stop());

  it('creates, searches with totals, gets, updates metadata, finds by email, links, unlinks and deletes', async () => {
    const created = await auth0.users.create({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'sdk-primary@example.com',
      password: 'a long password',
      user_metadata: { theme: 'dark', drop: true },
      verify_email: false,
    });
    const primaryId = String(created.user_id);
    const secondary = await auth0.users.create({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'sdk-secondary@example.com',
      password: 'a long password',
      verify_email: false,
    });

    const page = await auth0.users.list({ q: 'email:sdk-*', search_engine: 'v3', include_totals: true, sort: 'email:1', per_page: 10 });
    expect(page.data.map((user) => user.email)).toEqual(['sdk-primary@example.com', 'sdk-secondary@example.com']);
    expect(page.response).toMatchObject({ start: 0, limit: 10, length: 2, total: 2 });

    expect(await auth0.users.get(primaryId, { fields: 'email,user_metadata' })).toEqual({
      email: 'sdk-primary@example.com',
      user_metadata: { theme: 'dark', drop: true },
    });
    const updated = await auth0.users.update(primaryId, { user_metadata: { drop: null, plan: 'pro' } as Record<string, unknown> });
    expect(updated.user_metadata).toEqual({ theme: 'dark', plan: 'pro' });
    expect((await auth0.users.listUsersByEmail({ email: 'sdk-primary@example.com' })).map((user) => user.user_id)).toEqual([primaryId]);

    const [provider = '', externalId = ''] = String(secondary.user_id).split('|');
    const identities = await auth0.users.identities.link(primaryId, { provider: provider as 'auth0', user_id: externalId });
    expect(identities.map((identity) => identity.user_id)).toEqual([primaryId.split('|')[1], externalId]);
    const remaining = await auth0.users.identities.delete(primaryId, provider as 'auth0', externalId);
    expect(remaining).toHaveLength(1);

    await auth0.users.delete(String(secondary.user_id));
    await expect(auth0.users.get(String(secondary.user_id))).rejects.toMatchObject({ statusCode: 404 });
  });

  it('issues tickets, lists and resets second factors and lifts blocks', async () => {
    const user = await auth0.users.create({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'sdk-factors@example.com',
      password: 'a long password',
      verify_email: false,
    });
    const id = String(user.user_id);
    expect((await auth0.tickets.verifyEmail({ user_id: id })).ticket).toMatch(/^http/);
    expect((await auth0.tickets.changePassword({ user_id: id, ttl_sec: 0 })).ticket).toMatch(/^http/);
    expect((await auth0.users.authenticationMethods.list(id)).data).toEqual([]);
    await auth0.users.authenticationMethods.deleteAll(id);
    await auth0.users.authenticators.deleteAll(id);
    await auth0.userBlocks.delete(id);
  });
});
