import { ClientsClient } from 'auth0/clients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../../bench/target.js';
import { callApiV2 } from '../../support/api-v2.js';
import { adminClient, clientCredentialsToken, errorOf } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

type Json = Record<string, unknown>;

describe('/api/v2/clients: Auth0’s client operations over clients.*', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;
  let admin: Awaited<ReturnType<typeof adminClient>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, { bearer = token, ...init }: { method?: string; body?: unknown; bearer?: string } = {}) =>
    callApiV2<Json & Json[]>(tessera.issuer, bearer, path, init);

  const tokenStatus = async (clientId: string, clientSecret: string) =>
    (
      await fetch(`${tessera.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization({ clientId, clientSecret }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      })
    ).status;

  const create = async (body: Json) => {
    const created = await call('/clients', { method: 'POST', body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  };
  /** A client with the login grants, which need a callback. */
  const web = (name: string, extra: Json = {}) => create({ name, callbacks: [`https://${name.toLowerCase()}.example.com/cb`], ...extra });

  describe('POST /clients', () => {
    it('creates a regular web application from Auth0’s body, visible through clients.get under Tessera’s names', async () => {
      const body = await create({
        name: 'Shop',
        app_type: 'regular_web',
        callbacks: ['https://shop.example.com/callback'],
        allowed_logout_urls: ['https://shop.example.com/'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        jwt_configuration: { alg: 'ES256' },
        is_first_party: false,
        oidc_conformant: true,
        description: 'The shop’s web front',
      });
      expect(body).toMatchObject({
        name: 'Shop',
        description: 'The shop’s web front',
        app_type: 'regular_web',
        callbacks: ['https://shop.example.com/callback'],
        allowed_logout_urls: ['https://shop.example.com/'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        jwt_configuration: { alg: 'ES256' },
        is_first_party: false,
        oidc_conformant: true,
      });
      expect(body['client_secret']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body).not.toHaveProperty('redirect_uris');
      expect(await admin.clients.get.query({ client_id: String(body['client_id']) })).toMatchObject({
        name: 'Shop',
        description: 'The shop’s web front',
        redirect_uris: ['https://shop.example.com/callback'],
        post_logout_redirect_uris: ['https://shop.example.com/'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
        is_first_party: false,
      });
    });

    it('makes an spa a public client with the login grants and no secret', async () => {
      const body = await create({ name: 'Single page', app_type: 'spa', callbacks: ['https://spa.example.com/cb'] });
      expect(body).toMatchObject({
        app_type: 'spa',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      });
      expect(body).not.toHaveProperty('client_secret');
    });

    it('makes a non_interactive client a machine client whose Tessera management_scopes give it a token', async () => {
      const body = await create({ name: 'Nightly job', app_type: 'non_interactive', management_scopes: ['read:users'] });
      expect(body).toMatchObject({ app_type: 'non_interactive', grant_types: ['client_credentials'], management_scopes: ['read:users'] });
      expect(await tokenStatus(String(body['client_id']), String(body['client_secret']))).toBe(200);
    });

    it('refuses an Auth0 key Tessera cannot honour with invalid_body naming it, and stores nothing', async () => {
      const before = (await admin.clients.list.query()).total;
      for (const [body, named] of [
        [{ name: 'Logo', app_type: 'non_interactive', logo_uri: 'https://shop.example.com/logo.png' }, 'logo_uri'],
        [{ name: 'Long', app_type: 'non_interactive', description: 'x'.repeat(141) }, 'description'],
        [{ name: 'Legacy', oidc_conformant: false }, 'oidc_conformant'],
        [{ name: 'Implicit', grant_types: ['implicit'] }, 'grant_types'],
        [{ name: 'Lifetime', jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 60 } }, 'lifetime_in_seconds'],
        [{ name: 'Box', app_type: 'box' }, 'app_type'],
        [{ name: 'Contradiction', app_type: 'spa', token_endpoint_auth_method: 'client_secret_post' }, 'token_endpoint_auth_method'],
        [{ name: 'Machine', app_type: 'non_interactive', grant_types: ['authorization_code'] }, 'grant_types'],
        [{ name: 'Nowhere to return' }, 'callbacks'],
      ] as const) {
        const refused = await call('/clients', { method: 'POST', body });
        expect(refused.status, named).toBe(400);
        expect(refused.body).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body' });
        expect(refused.body['message']).toContain(named);
      }
      expect((await admin.clients.list.query()).total).toBe(before);
    });

    it('answers a rule across fields the service checks with invalid_body too', async () => {
      const body = { name: 'Odd', callbacks: ['https://odd.example.com/cb'], management_scopes: ['read:users'] };
      const refused = await call('/clients', { method: 'POST', body });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ errorCode: 'invalid_body' });
      expect(refused.body['message']).toContain('client_credentials');
    });

    it('refuses a token without create:clients with 403 insufficient_scope', async () => {
      const narrow = await clientCredentialsToken(tessera.issuer, 'read:clients');
      const refused = await call('/clients', { method: 'POST', body: { name: 'Nope', app_type: 'non_interactive' }, bearer: narrow });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
    });
  });

  describe('GET /clients and /clients/{id}', () => {
    it('answers a bare array by default and Auth0’s totals with include_totals=true', async () => {
      const total = (await admin.clients.list.query()).total;
      const bare = await call('/clients?per_page=2');
      expect(bare.status).toBe(200);
      expect(Array.isArray(bare.body)).toBe(true);
      expect(bare.body).toHaveLength(Math.min(2, total));
      const paged = await call('/clients?page=1&per_page=1&include_totals=true');
      expect(paged.body).toMatchObject({ start: 1, limit: 1, length: 1, total });
      const [second] = paged.body['clients'] as Json[];
      expect(second).toHaveProperty('app_type');
      expect(second).toHaveProperty('callbacks');
    });

    it('filters by app_type and is_first_party in SQL, as the answers’ own app_type and is_first_party say', async () => {
      await create({ name: 'Filter machine', app_type: 'non_interactive', is_first_party: false });
      await create({ name: 'Filter spa', app_type: 'spa', callbacks: ['https://filter.example.com/cb'] });
      await web('Filter-web', { is_first_party: false });
      const all = (await call('/clients?per_page=100')).body as Json[];
      const ids = (clients: Json[]) => clients.map((client) => client['client_id']).sort();
      for (const [query, keep] of [
        ['app_type=non_interactive', (client: Json) => client['app_type'] === 'non_interactive'],
        ['app_type=spa,regular_web', (client: Json) => client['app_type'] !== 'non_interactive'],
        ['is_first_party=false', (client: Json) => client['is_first_party'] === false],
        [
          'is_first_party=true&app_type=regular_web',
          (client: Json) => client['is_first_party'] === true && client['app_type'] === 'regular_web',
        ],
        ['app_type=native', () => false],
        ['is_global=true', () => false],
        ['is_global=false', () => true],
      ] as const) {
        const expected = all.filter(keep);
        const listed = await call(`/clients?per_page=100&include_totals=true&${query}`);
        expect(listed.status, query).toBe(200);
        expect(listed.body['total'], query).toBe(expected.length);
        expect(ids(listed.body['clients'] as Json[]), query).toEqual(ids(expected));
      }
      expect(new Set(all.map((client) => client['app_type']))).toEqual(new Set(['non_interactive', 'spa', 'regular_web']));
      expect(await call('/clients?app_type=box')).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
    });

    it('keeps only the fields asked for, or all but them with include_fields=false', async () => {
      const { client_id: id } = await create({ name: 'Fields', callbacks: ['https://fields.example.com/cb'] });
      const only = await call(`/clients/${id}?fields=client_id,name`);
      expect(only.body).toEqual({ client_id: id, name: 'Fields' });
      const without = await call(`/clients/${id}?fields=callbacks,connections&include_fields=false`);
      expect(without.body).toMatchObject({ client_id: id, name: 'Fields' });
      expect(without.body).not.toHaveProperty('callbacks');
      expect(without.body).not.toHaveProperty('connections');
      const listed = await call('/clients?fields=client_id&include_totals=true&per_page=100');
      for (const client of listed.body['clients'] as Json[]) expect(Object.keys(client)).toEqual(['client_id']);
    });

    it('never shows the secret on a read', async () => {
      const { client_id: id } = await web('Secretive');
      const read = await call(`/clients/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ client_id: id, app_type: 'regular_web' });
      expect(read.body).not.toHaveProperty('client_secret');
    });

    it('answers an unknown client with 404 inexistent_client and an unknown query parameter with invalid_query_string', async () => {
      expect(await call('/clients/no-such-client')).toMatchObject({ status: 404, body: { errorCode: 'inexistent_client' } });
      expect(await call('/clients?external_client_id=x')).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
    });
  });

  describe('PATCH /clients/{id}', () => {
    it('changes the fields given under Auth0’s names and keeps the others', async () => {
      const { client_id: id } = await create({ name: 'Before', callbacks: ['https://before.example.com/cb'], is_first_party: true });
      const patched = await call(`/clients/${id}`, {
        method: 'PATCH',
        body: { name: 'After', callbacks: ['https://after.example.com/cb'], mfa_policy: 'always' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        name: 'After',
        callbacks: ['https://after.example.com/cb'],
        is_first_party: true,
        mfa_policy: 'always',
      });
      expect(await admin.clients.get.query({ client_id: String(id) })).toMatchObject({
        name: 'After',
        redirect_uris: ['https://after.example.com/cb'],
        is_first_party: true,
        mfa_policy: 'always',
      });
      const described = await call(`/clients/${id}`, { method: 'PATCH', body: { description: 'Renamed' } });
      expect(described.body).toMatchObject({ name: 'After', description: 'Renamed' });
      const cleared = await call(`/clients/${id}`, { method: 'PATCH', body: { mfa_policy: null, description: null } });
      expect(cleared.body).not.toHaveProperty('mfa_policy');
      expect(cleared.body).not.toHaveProperty('description');
      expect(await admin.clients.get.query({ client_id: String(id) })).not.toHaveProperty('description');
    });

    it('turns a web application into an spa by app_type, and refuses regular_web without the secret method to use', async () => {
      const { client_id: id } = await web('Turning');
      const spa = await call(`/clients/${id}`, { method: 'PATCH', body: { app_type: 'spa' } });
      expect(spa.body).toMatchObject({ app_type: 'spa', token_endpoint_auth_method: 'none' });
      const refused = await call(`/clients/${id}`, { method: 'PATCH', body: { app_type: 'regular_web' } });
      expect(refused).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
      expect(refused.body['message']).toContain('token_endpoint_auth_method');
      const back = await call(`/clients/${id}`, {
        method: 'PATCH',
        body: { app_type: 'regular_web', token_endpoint_auth_method: 'client_secret_basic' },
      });
      expect(back.body).toMatchObject({ app_type: 'regular_web', token_endpoint_auth_method: 'client_secret_basic' });
    });

    it('answers an unknown client with inexistent_client and an unknown key with invalid_body', async () => {
      expect(await call('/clients/no-such-client', { method: 'PATCH', body: { name: 'x' } })).toMatchObject({
        status: 404,
        body: { errorCode: 'inexistent_client' },
      });
      const { client_id: id } = await web('Strict');
      const refused = await call(`/clients/${id}`, { method: 'PATCH', body: { client_secret: 'mine' } });
      expect(refused).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
      expect(refused.body['message']).toContain('client_secret');
    });
  });

  describe('POST /clients/{id}/rotate-secret', () => {
    it('answers the client with a new secret that works at once, while the old one is refused at /token', async () => {
      const created = await create({ name: 'Rotating', app_type: 'non_interactive', management_scopes: ['read:users'] });
      const id = String(created['client_id']);
      const rotated = await call(`/clients/${id}/rotate-secret`, { method: 'POST' });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ client_id: id, app_type: 'non_interactive' });
      expect(rotated.body['client_secret']).not.toBe(created['client_secret']);
      expect(await tokenStatus(id, String(created['client_secret']))).toBe(401);
      expect(await tokenStatus(id, String(rotated.body['client_secret']))).toBe(200);
    });

    it('answers an unknown client with inexistent_client and a public one with invalid_body', async () => {
      expect(await call('/clients/no-such-client/rotate-secret', { method: 'POST' })).toMatchObject({
        status: 404,
        body: { errorCode: 'inexistent_client' },
      });
      const { client_id: id } = await web('Public', { app_type: 'spa' });
      expect(await call(`/clients/${id}/rotate-secret`, { method: 'POST' })).toMatchObject({
        status: 400,
        body: { errorCode: 'invalid_body' },
      });
    });
  });

  describe('DELETE /clients/{id}', () => {
    it('deletes with 204 and no body; the client is gone for both APIs', async () => {
      const { client_id: id } = await web('Doomed');
      const deleted = await call(`/clients/${id}`, { method: 'DELETE' });
      expect(deleted).toEqual({ status: 204, body: undefined });
      expect(await call(`/clients/${id}`)).toMatchObject({ status: 404, body: { errorCode: 'inexistent_client' } });
      expect((await errorOf(admin.clients.get.query({ client_id: String(id) }))).code).toBe('NOT_FOUND');
    });

    it('refuses a token without delete:clients with insufficient_scope and keeps the client', async () => {
      const { client_id: id } = await web('Kept');
      const narrow = await clientCredentialsToken(tessera.issuer, 'read:clients');
      expect(await call(`/clients/${id}`, { method: 'DELETE', bearer: narrow })).toMatchObject({
        status: 403,
        body: { errorCode: 'insufficient_scope' },
      });
      expect((await call(`/clients/${id}`)).status).toBe(200);
    });
  });

  it('is read and written by the auth0 package’s own generated clients client', async () => {
    const sdk = new ClientsClient({ baseUrl: `${tessera.issuer}/api/v2`, token, maxRetries: 0 });
    const created = await sdk.create({ name: 'From the SDK', callbacks: ['https://sdk.example.com/cb'], app_type: 'regular_web' });
    expect(created).toMatchObject({ name: 'From the SDK', callbacks: ['https://sdk.example.com/cb'], app_type: 'regular_web' });
    const id = String(created.client_id);
    expect(await sdk.get(id)).toMatchObject({ client_id: id, name: 'From the SDK' });
    const page = await sdk.list({ per_page: 100 });
    expect(page.data.map((client) => client.client_id)).toContain(id);
    expect(await sdk.update(id, { allowed_logout_urls: ['https://sdk.example.com/'] })).toMatchObject({
      allowed_logout_urls: ['https://sdk.example.com/'],
    });
    expect((await sdk.rotateSecret(id)).client_secret).toEqual(expect.any(String));
    await sdk.delete(id);
    await expect(sdk.get(id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
