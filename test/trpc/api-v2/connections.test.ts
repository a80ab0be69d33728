import { ConnectionsClient } from 'auth0/connections';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApiV2 } from '../../support/api-v2.js';
import { adminClient, clientCredentialsToken, errorOf } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

type Json = Record<string, unknown>;

const OIDC = { issuer: 'https://idp.example.com', client_id: 'upstream-client', client_secret: 'upstream-secret-never-shown' };

describe('/api/v2/connections: Auth0’s connection operations over connections.*', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let clientId: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    admin = await adminClient(tessera.issuer);
    clientId = (await admin.clients.create.mutate({ name: 'App', redirect_uris: ['https://app.example.com/cb'] })).client_id;
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, { bearer = token, ...init }: { method?: string; body?: unknown; bearer?: string } = {}) =>
    callApiV2<Json & Json[]>(tessera.issuer, bearer, path, init);

  const create = async (body: Json) => {
    const created = await call('/connections', { method: 'POST', body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  };

  describe('POST /connections', () => {
    it('creates a database connection from Auth0’s body (strategy auth0), visible through connections.get as database', async () => {
      const body = await create({
        name: 'Legacy-db',
        display_name: 'Legacy-db',
        strategy: 'auth0',
        options: { requires_username: true },
        enabled_clients: [clientId],
      });
      expect(body).toMatchObject({
        name: 'Legacy-db',
        display_name: 'Legacy-db',
        strategy: 'auth0',
        options: { requires_username: true },
        enabled_clients: [clientId],
      });
      expect(body['id']).toMatch(/^con_/);
      expect(await admin.connections.get.query({ id: String(body['id']) })).toMatchObject({
        name: 'Legacy-db',
        strategy: 'database',
        options: { requires_username: true },
        enabled_clients: [clientId],
      });
    });

    it('creates an oidc connection and never answers its upstream secret', async () => {
      const body = await create({ name: 'Upstream', strategy: 'oidc', options: OIDC });
      expect(body).toMatchObject({ strategy: 'oidc', options: { issuer: OIDC.issuer, client_id: OIDC.client_id } });
      expect(JSON.stringify(body)).not.toContain(OIDC.client_secret);
      expect(JSON.stringify((await call(`/connections/${body['id']}`)).body)).not.toContain(OIDC.client_secret);
    });

    it('refuses what Tessera cannot honour with invalid_body naming it, and an existing name with connection_exists', async () => {
      for (const [body, named] of [
        [{ name: 'Shown', display_name: 'Something else', strategy: 'auth0' }, 'display_name'],
        [{ name: 'Domain', strategy: 'auth0', is_domain_connection: true }, 'is_domain_connection'],
        [{ name: 'Social', strategy: 'google-oauth2' }, 'strategy'],
        [{ name: 'Policy', strategy: 'auth0', options: { passwordPolicy: 'good' } }, 'passwordPolicy'],
        [{ name: 'Nowhere', strategy: 'oidc', options: { client_id: 'x' } }, 'issuer'],
      ] as const) {
        const refused = await call('/connections', { method: 'POST', body });
        expect(refused.status, named).toBe(400);
        expect(refused.body).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body' });
        expect(refused.body['message']).toContain(named);
      }
      await create({ name: 'Twice', strategy: 'auth0' });
      expect(await call('/connections', { method: 'POST', body: { name: 'Twice', strategy: 'database' } })).toMatchObject({
        status: 409,
        body: { errorCode: 'connection_exists' },
      });
    });

    it('refuses a token without create:connections with 403 insufficient_scope', async () => {
      const narrow = await clientCredentialsToken(tessera.issuer, 'read:connections');
      expect(await call('/connections', { method: 'POST', body: { name: 'Nope', strategy: 'auth0' }, bearer: narrow })).toMatchObject({
        status: 403,
        body: { errorCode: 'insufficient_scope' },
      });
    });
  });

  describe('GET /connections', () => {
    it('filters by strategy in Auth0’s or Tessera’s name, several at once, and by name', async () => {
      await create({
        name: 'Filter-saml',
        strategy: 'samlp',
        options: {
          sign_in_url: 'https://saml.example.com/sso',
          signing_cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        },
      });
      const { total } = await admin.connections.list.query({ strategy: 'database' });
      const databases = await call('/connections?strategy=auth0&include_totals=true');
      expect(databases.body).toMatchObject({ start: 0, total });
      const listed = databases.body['connections'] as Json[];
      expect(listed.every((connection) => connection['strategy'] === 'auth0')).toBe(true);
      expect((await call('/connections?strategy=database&include_totals=true')).body['total']).toBe(total);
      const both = (await call('/connections?strategy=auth0&strategy=samlp')).body as Json[];
      expect(new Set(both.map((connection) => connection['strategy']))).toEqual(new Set(['auth0', 'samlp']));
      const named = (await call('/connections?name=Filter-saml')).body as Json[];
      expect(named).toEqual([expect.objectContaining({ name: 'Filter-saml', strategy: 'samlp' })]);
    });

    it('pages by page and per_page, and by from and take with next as the Auth0 SDK does', async () => {
      const { total } = await admin.connections.list.query();
      expect(total).toBeGreaterThan(2);
      const second = await call('/connections?page=1&per_page=1&include_totals=true');
      expect(second.body).toMatchObject({ start: 1, limit: 1, length: 1, total });
      const seen: string[] = [];
      let from: string | undefined;
      do {
        const page = await call(`/connections?take=2${from === undefined ? '' : `&from=${from}`}`);
        expect(page.status).toBe(200);
        seen.push(...(page.body['connections'] as Json[]).map((connection) => String(connection['name'])));
        from = page.body['next'] as string | undefined;
      } while (from !== undefined);
      const all = await admin.connections.list.query({ per_page: 100 });
      expect(seen).toEqual(all.connections.map((connection) => connection.name));
      expect(await call('/connections?from=1&take=2')).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
      expect(await call('/connections?page=0&take=2')).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
    });

    it('keeps only the fields asked for', async () => {
      const { id } = await create({ name: 'Fields', strategy: 'auth0' });
      expect((await call(`/connections/${id}?fields=id,strategy`)).body).toEqual({ id, strategy: 'auth0' });
      const without = (await call(`/connections/${id}?fields=options&include_fields=false`)).body;
      expect(without).toMatchObject({ id, name: 'Fields' });
      expect(without).not.toHaveProperty('options');
    });

    it('answers an unknown connection with 404 inexistent_connection', async () => {
      expect(await call('/connections/con_nothere')).toMatchObject({ status: 404, body: { errorCode: 'inexistent_connection' } });
    });
  });

  describe('PATCH /connections/{id}', () => {
    it('replaces the options as a whole and sets the enabled clients', async () => {
      const { id } = await create({ name: 'Patched', strategy: 'auth0', options: { requires_username: true } });
      const patched = await call(`/connections/${id}`, {
        method: 'PATCH',
        body: { options: { disable_signup: true }, enabled_clients: [clientId] },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, options: { requires_username: false, disable_signup: true }, enabled_clients: [clientId] });
      expect(await admin.connections.get.query({ id: String(id) })).toMatchObject({ enabled_clients: [clientId] });
    });

    it('keeps an upstream secret the options leave out, as the tRPC API does', async () => {
      const { id } = await create({ name: 'Kept-secret', strategy: 'oidc', options: OIDC });
      const { client_secret: _secret, ...rest } = OIDC;
      const patched = await call(`/connections/${id}`, { method: 'PATCH', body: { options: { ...rest, scope: 'openid email' } } });
      expect(patched.body).toMatchObject({ options: { scope: 'openid email' } });
      expect(JSON.stringify(patched.body)).not.toContain(OIDC.client_secret);
    });

    it('refuses a name, strategy or display_name with invalid_body, and an unknown connection with inexistent_connection', async () => {
      const { id } = await create({ name: 'Fixed', strategy: 'auth0' });
      for (const body of [{ name: 'Moved' }, { strategy: 'oidc' }, { display_name: 'Fixed' }]) {
        const refused = await call(`/connections/${id}`, { method: 'PATCH', body });
        expect(refused).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
        expect(refused.body['message']).toContain(Object.keys(body)[0]);
      }
      expect(await call('/connections/con_nothere', { method: 'PATCH', body: { enabled_clients: [] } })).toMatchObject({
        status: 404,
        body: { errorCode: 'inexistent_connection' },
      });
    });
  });

  describe('DELETE /connections/{id}', () => {
    it('answers 202 and deletes the connection with its users, as Auth0 does', async () => {
      const { id } = await create({ name: 'Doomed', strategy: 'auth0', enabled_clients: [clientId] });
      const user = await admin.users.create.mutate({ connection: 'Doomed', email: 'doomed@example.com', password: 'a long password' });
      const deleted = await call(`/connections/${id}`, { method: 'DELETE' });
      expect(deleted).toEqual({ status: 202, body: { deleted: true, deleted_users: 1, unlinked_users: 0 } });
      expect(await call(`/connections/${id}`)).toMatchObject({ status: 404, body: { errorCode: 'inexistent_connection' } });
      expect((await errorOf(admin.users.get.query({ id: String(user.user_id) }))).code).toBe('NOT_FOUND');
    });

    it('refuses a token without delete:connections with insufficient_scope and keeps the connection', async () => {
      const { id } = await create({ name: 'Kept', strategy: 'auth0' });
      const narrow = await clientCredentialsToken(tessera.issuer, 'read:connections');
      expect(await call(`/connections/${id}`, { method: 'DELETE', bearer: narrow })).toMatchObject({
        status: 403,
        body: { errorCode: 'insufficient_scope' },
      });
      expect((await call(`/connections/${id}`)).status).toBe(200);
    });
  });

  it('is read and written by the auth0 package’s own generated connections client, its default checkpoint list included', async () => {
    const sdk = new ConnectionsClient({ baseUrl: `${tessera.issuer}/api/v2`, token, maxRetries: 0 });
    const created = await sdk.create({ name: 'From-the-sdk', strategy: 'auth0', enabled_clients: [clientId] });
    expect(created).toMatchObject({ name: 'From-the-sdk', strategy: 'auth0', enabled_clients: [clientId] });
    const id = String(created.id);
    expect(await sdk.get(id)).toMatchObject({ id, name: 'From-the-sdk' });
    const names: string[] = [];
    for await (const connection of await sdk.list({ take: 2 })) names.push(String(connection.name));
    expect(names).toEqual((await admin.connections.list.query({ per_page: 100 })).connections.map((connection) => connection.name));
    expect(await sdk.update(id, { options: { disable_signup: true } })).toMatchObject({ options: { disable_signup: true } });
    await sdk.delete(id);
    await expect(sdk.get(id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
