import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { Browser, isPage } from '../support/browser.js';
import { adminClient, clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, REDIRECT_URI } from '../support/relying-party.js';
import { ADMIN, startTestTessera } from '../support/tessera.js';

type Admin = Awaited<ReturnType<typeof adminClient>>;

async function clientCredentials(issuer: string, clientId: string, clientSecret: string) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization({ clientId, clientSecret }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('clients.* over a real @trpc/client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Admin;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const webApp = (extra: Record<string, unknown> = {}) =>
    admin.clients.create.mutate({ name: 'Web App', redirect_uris: [REDIRECT_URI], ...extra });
  const machine = (extra: Record<string, unknown> = {}) =>
    admin.clients.create.mutate({ name: 'Machine', grant_types: ['client_credentials'], ...extra });

  /** Where an authorization request from this client to this redirect_uri leads: the login page, or an error page. */
  async function authorize(clientId: string, redirectUri: string) {
    const config = await discover(tessera.issuer, clientId, undefined, { token_endpoint_auth_method: 'none' });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await new Browser().navigate(url.toString(), redirectUri);
    if (!isPage(page)) throw new Error(`unexpected redirect to ${page.redirect}`);
    return page;
  }

  describe('create', () => {
    it('creates a confidential client with Auth0-like defaults, a generated id and its secret, shown once', async () => {
      const client = await webApp();
      expect(client).toEqual({
        client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        name: 'Web App',
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        is_first_party: true,
        require_pkce: true,
        management_scopes: [],
        connections: ['Username-Password'],
      });
      expect((await webApp()).client_id).not.toBe(client.client_id);
    });

    it('creates a public client without a secret', async () => {
      const client = await webApp({ token_endpoint_auth_method: 'none' });
      expect(client).not.toHaveProperty('client_secret');
      expect(client.token_endpoint_auth_method).toBe('none');
    });

    it('enables exactly the named connections', async () => {
      await admin.connections.create.mutate({ name: 'Staff', strategy: 'database' });
      const client = await webApp({ connections: ['Staff'] });
      expect(client.connections).toEqual(['Staff']);
      expect((await admin.clients.get.query({ client_id: client.client_id })).connections).toEqual(['Staff']);
    });

    it('refuses an unknown connection with BAD_REQUEST naming it', async () => {
      const error = await errorOf(webApp({ connections: ['Nowhere'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'connections' });
      expect(error.message).toContain('Nowhere');
    });

    it('refuses metadata the provider rejects with BAD_REQUEST and the provider’s description', async () => {
      const error = await errorOf(admin.clients.create.mutate({ name: 'No Redirect' }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'redirect_uris' });
      expect(error.message).toMatch(/redirect_uris/);
    });

    it('refuses a malformed redirect URI with BAD_REQUEST naming the field', async () => {
      const error = await errorOf(webApp({ redirect_uris: ['not a url'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'redirect_uris.0' });
    });

    it('refuses a post-logout redirect URI the provider would refuse, with BAD_REQUEST naming the field', async () => {
      const fragment = await errorOf(webApp({ post_logout_redirect_uris: ['https://app.example.com/bye#now'] }));
      expect(fragment).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'post_logout_redirect_uris',
        message: 'post_logout_redirect_uris must not contain fragments',
      });
      const scheme = await errorOf(webApp({ post_logout_redirect_uris: ['myapp:/bye'] }));
      expect(scheme).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'post_logout_redirect_uris',
        message: 'post_logout_redirect_uris must only contain web uris',
      });
    });

    it('refuses HS256 ID tokens for a public client, which has no secret to sign them with', async () => {
      const error = await errorOf(webApp({ token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'HS256' }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'id_token_signed_response_alg' });
    });

    it('refuses unknown keys with BAD_REQUEST naming them', async () => {
      const error = await errorOf(webApp({ client_secret: 'chosen' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('client_secret');
    });

    it('gives a machine client the management scopes it is created with, and no others', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      expect(client).toMatchObject({ grant_types: ['client_credentials'], management_scopes: ['read:users'] });
      const api = managementClient(
        tessera.issuer,
        await clientCredentialsToken(tessera.issuer, undefined, { clientId: client.client_id, clientSecret: client.client_secret! }),
      );
      expect(await api.users.getByEmail.query({ email: 'nobody@example.com' })).toEqual([]);
      expect((await errorOf(api.clients.list.query())).code).toBe('FORBIDDEN');
    });

    it('refuses the client_credentials grant without client authentication, with BAD_REQUEST naming token_endpoint_auth_method', async () => {
      const error = await errorOf(machine({ token_endpoint_auth_method: 'none', management_scopes: ['read:users'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'token_endpoint_auth_method' });
      expect(error.message).toContain('client_credentials');
      const mixed = await errorOf(
        webApp({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'client_credentials'] }),
      );
      expect(mixed).toMatchObject({ code: 'BAD_REQUEST', field: 'token_endpoint_auth_method' });
    });

    it('refuses management scopes without the client_credentials grant', async () => {
      const error = await errorOf(webApp({ management_scopes: ['read:users'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'management_scopes' });
    });

    it('refuses to grant a management scope the caller does not hold, with FORBIDDEN naming it', async () => {
      const limited = await adminClient(tessera.issuer, 'create:clients read:users');
      const error = await errorOf(
        limited.clients.create.mutate({
          name: 'Greedy',
          grant_types: ['client_credentials'],
          management_scopes: ['read:users', 'delete:users'],
        }),
      );
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('delete:users');
      expect(error.message).not.toContain('read:users');
    });
  });

  describe('get and list', () => {
    it('get returns the client without its secret', async () => {
      const { client_secret: _secret, ...created } = await webApp({
        is_first_party: false,
        post_logout_redirect_uris: ['http://127.0.0.1:9/bye'],
      });
      const found = await admin.clients.get.query({ client_id: created.client_id });
      expect(found).toEqual(created);
      expect(found).not.toHaveProperty('client_secret');
    });

    it('answers an unknown client with NOT_FOUND', async () => {
      const error = await errorOf(admin.clients.get.query({ client_id: 'no-such-client' }));
      expect(error).toMatchObject({ code: 'NOT_FOUND', field: 'client_id' });
    });

    it('lists every client, the admin one included, in client_id order and without secrets', async () => {
      await webApp();
      const { clients, total, start, limit, length } = await admin.clients.list.query({ per_page: 100 });
      expect(clients.map((client) => client.client_id)).toContain(ADMIN.clientId);
      expect(clients.find((client) => client.client_id === ADMIN.clientId)).toMatchObject({
        grant_types: ['client_credentials'],
        management_scopes: expect.arrayContaining(['read:clients', 'create:signing_keys']),
      });
      expect(clients.every((client) => !('client_secret' in client))).toBe(true);
      expect(clients.map((client) => client.client_id)).toEqual(clients.map((client) => client.client_id).sort());
      expect({ total, start, limit, length }).toEqual({ total: clients.length, start: 0, limit: 100, length: clients.length });
    });

    it('pages through the clients without skipping or repeating one', async () => {
      await webApp();
      const all = await admin.clients.list.query();
      const paged = [];
      for (let page = 0; page * 2 < all.total; page += 1) paged.push(...(await admin.clients.list.query({ page, per_page: 2 })).clients);
      expect(paged.map((client) => client.client_id)).toEqual(all.clients.map((client) => client.client_id));
    });

    it('refuses per_page over 100 with BAD_REQUEST', async () => {
      expect(await errorOf(admin.clients.list.query({ per_page: 101 }))).toMatchObject({ code: 'BAD_REQUEST', field: 'per_page' });
    });
  });

  describe('update', () => {
    it('replaces only the given fields and keeps the secret', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const updated = await admin.clients.update.mutate({
        client_id: client.client_id,
        name: 'Renamed',
        management_scopes: ['read:users', 'read:clients'],
      });
      const { client_secret: _secret, ...before } = client;
      expect(updated).toEqual({ ...before, name: 'Renamed', management_scopes: ['read:users', 'read:clients'] });
      const { body } = await clientCredentials(tessera.issuer, client.client_id, client.client_secret!);
      expect(String(body['scope']).split(' ').sort()).toEqual(['read:clients', 'read:users']);
    });

    it('takes effect on the next request, without a restart', async () => {
      const client = await webApp({ token_endpoint_auth_method: 'none' });
      const other = 'http://127.0.0.1:9/other-callback';
      expect((await authorize(client.client_id, other)).status).toBe(400);
      await admin.clients.update.mutate({ client_id: client.client_id, redirect_uris: [REDIRECT_URI, other] });
      const page = await authorize(client.client_id, other);
      expect(page.status).toBe(200);
      expect(page.url).toContain('/interaction/');
    });

    it('changes the connection’s enabled_clients when it changes the client’s connections', async () => {
      const staff = await admin.connections.create.mutate({ name: 'Staff2', strategy: 'database' });
      const client = await webApp();
      await admin.clients.update.mutate({ client_id: client.client_id, connections: ['Staff2'] });
      expect((await admin.connections.get.query({ id: staff.id })).enabled_clients).toEqual([client.client_id]);
      await admin.clients.update.mutate({ client_id: client.client_id, connections: [] });
      expect((await admin.connections.get.query({ id: staff.id })).enabled_clients).toEqual([]);
      expect((await admin.clients.get.query({ client_id: client.client_id })).connections).toEqual([]);
    });

    it('drops the secret of a client made public', async () => {
      const client = await webApp();
      const updated = await admin.clients.update.mutate({ client_id: client.client_id, token_endpoint_auth_method: 'none' });
      expect(updated).not.toHaveProperty('client_secret');
      expect((await errorOf(admin.clients.rotateSecret.mutate({ client_id: client.client_id }))).code).toBe('BAD_REQUEST');
    });

    it('answers an unknown client with NOT_FOUND, invalid metadata with BAD_REQUEST and an unknown connection with BAD_REQUEST', async () => {
      expect((await errorOf(admin.clients.update.mutate({ client_id: 'no-such-client', name: 'x' }))).code).toBe('NOT_FOUND');
      const client = await webApp();
      expect(await errorOf(admin.clients.update.mutate({ client_id: client.client_id, redirect_uris: [] }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'redirect_uris',
      });
      expect(await errorOf(admin.clients.update.mutate({ client_id: client.client_id, connections: ['Nowhere'] }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'connections',
      });
      expect((await errorOf(admin.clients.update.mutate({ client_id: client.client_id, name: '' }))).field).toBe('name');
    });

    it('refuses to add a management scope the caller does not hold, yet lets it edit a client whose scopes it holds', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const limited = await adminClient(tessera.issuer, 'update:clients read:users');
      expect((await limited.clients.update.mutate({ client_id: client.client_id, name: 'Still' })).management_scopes).toEqual([
        'read:users',
      ]);
      const error = await errorOf(
        limited.clients.update.mutate({ client_id: client.client_id, management_scopes: ['read:users', 'create:users'] }),
      );
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('create:users');
      expect((await admin.clients.get.query({ client_id: client.client_id })).management_scopes).toEqual(['read:users']);
    });

    it('refuses to make a client_credentials client public, or a public client a client_credentials one, with BAD_REQUEST naming token_endpoint_auth_method', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const toPublic = await errorOf(admin.clients.update.mutate({ client_id: client.client_id, token_endpoint_auth_method: 'none' }));
      expect(toPublic).toMatchObject({ code: 'BAD_REQUEST', field: 'token_endpoint_auth_method' });
      expect((await clientCredentials(tessera.issuer, client.client_id, client.client_secret!)).status).toBe(200);
      const spa = await webApp({ token_endpoint_auth_method: 'none' });
      const toMachine = await errorOf(
        admin.clients.update.mutate({ client_id: spa.client_id, grant_types: ['authorization_code', 'client_credentials'] }),
      );
      expect(toMachine).toMatchObject({ code: 'BAD_REQUEST', field: 'token_endpoint_auth_method' });
      expect((await admin.clients.get.query({ client_id: spa.client_id })).grant_types).toEqual(['authorization_code', 'refresh_token']);
    });
  });

  describe('delete', () => {
    it('deletes the client: it is gone, its credentials stop working and no connection lists it', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      expect((await clientCredentials(tessera.issuer, client.client_id, client.client_secret!)).status).toBe(200);
      expect(await admin.clients.delete.mutate({ client_id: client.client_id })).toEqual({ deleted: true });
      expect((await errorOf(admin.clients.get.query({ client_id: client.client_id }))).code).toBe('NOT_FOUND');
      const { status, body } = await clientCredentials(tessera.issuer, client.client_id, client.client_secret!);
      expect(status).toBe(401);
      expect(body['error']).toBe('invalid_client');
      const { connections } = await admin.connections.list.query();
      expect(connections.flatMap((connection) => connection.enabled_clients)).not.toContain(client.client_id);
    });

    it('answers an unknown client with NOT_FOUND', async () => {
      expect((await errorOf(admin.clients.delete.mutate({ client_id: 'no-such-client' }))).code).toBe('NOT_FOUND');
    });

    it('ends the management tokens the deleted client already holds', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const { body } = await clientCredentials(tessera.issuer, client.client_id, client.client_secret!);
      const held = managementClient(tessera.issuer, String(body['access_token']));
      expect(await held.users.getByEmail.query({ email: 'nobody@example.com' })).toEqual([]);
      await admin.clients.delete.mutate({ client_id: client.client_id });
      const error = await errorOf(held.users.getByEmail.query({ email: 'nobody@example.com' }));
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toContain('no longer exists');
    });
  });

  describe('rotateSecret', () => {
    it('returns a new secret that works at once, while the old one stops working', async () => {
      const client = await machine();
      const rotated = await admin.clients.rotateSecret.mutate({ client_id: client.client_id });
      expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.client_secret).not.toBe(client.client_secret);
      expect((await clientCredentials(tessera.issuer, client.client_id, client.client_secret!)).status).toBe(401);
      expect((await clientCredentials(tessera.issuer, client.client_id, rotated.client_secret!)).status).toBe(200);
      expect(await admin.clients.get.query({ client_id: client.client_id })).not.toHaveProperty('client_secret');
    });

    it('refuses a public client with BAD_REQUEST and an unknown one with NOT_FOUND', async () => {
      const client = await webApp({ token_endpoint_auth_method: 'none' });
      expect(await errorOf(admin.clients.rotateSecret.mutate({ client_id: client.client_id }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'token_endpoint_auth_method',
      });
      expect((await errorOf(admin.clients.rotateSecret.mutate({ client_id: 'no-such-client' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('a client holding a management scope the caller lacks', () => {
    const adminWorks = async () => (await clientCredentials(tessera.issuer, ADMIN.clientId, ADMIN.clientSecret)).status;

    it('cannot have its secret rotated by a caller holding only update:clients: FORBIDDEN naming what it lacks, and the old secret still works', async () => {
      const limited = await adminClient(tessera.issuer, 'update:clients');
      const error = await errorOf(limited.clients.rotateSecret.mutate({ client_id: ADMIN.clientId }));
      expect(error).toMatchObject({ code: 'FORBIDDEN', field: 'client_id' });
      expect(error.message).toContain('delete:users');
      expect(error.message).not.toContain('update:clients');
      expect(await adminWorks()).toBe(200);
    });

    it('cannot be made public, renamed or given new redirect URIs by such a caller', async () => {
      const limited = await adminClient(tessera.issuer, 'update:clients read:clients');
      const before = await admin.clients.get.query({ client_id: ADMIN.clientId });
      for (const changes of [
        { token_endpoint_auth_method: 'none' as const },
        { name: 'Mine now' },
        { grant_types: ['client_credentials' as const, 'authorization_code' as const], redirect_uris: [REDIRECT_URI] },
      ]) {
        const error = await errorOf(limited.clients.update.mutate({ client_id: ADMIN.clientId, ...changes }));
        expect(error.code).toBe('FORBIDDEN');
        expect(error.message).toContain('create:signing_keys');
      }
      expect(await admin.clients.get.query({ client_id: ADMIN.clientId })).toEqual(before);
      expect(await adminWorks()).toBe(200);
    });

    it('cannot have its scopes taken away or be deleted by such a caller', async () => {
      const client = await machine({ management_scopes: ['read:users', 'delete:users'] });
      const limited = await adminClient(tessera.issuer, 'update:clients delete:clients read:users');
      const narrowed = await errorOf(limited.clients.update.mutate({ client_id: client.client_id, management_scopes: ['read:users'] }));
      expect(narrowed.code).toBe('FORBIDDEN');
      expect(narrowed.message).toContain('delete:users');
      const deleted = await errorOf(limited.clients.delete.mutate({ client_id: client.client_id }));
      expect(deleted.code).toBe('FORBIDDEN');
      expect(deleted.message).toContain('delete:users');
      expect((await admin.clients.get.query({ client_id: client.client_id })).management_scopes).toEqual(['read:users', 'delete:users']);
      expect((await clientCredentials(tessera.issuer, client.client_id, client.client_secret!)).status).toBe(200);
    });

    it('can still be updated, rotated and deleted by a caller holding all of its scopes', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const peer = await adminClient(tessera.issuer, 'update:clients delete:clients read:users');
      expect((await peer.clients.update.mutate({ client_id: client.client_id, name: 'Peer' })).name).toBe('Peer');
      const rotated = await peer.clients.rotateSecret.mutate({ client_id: client.client_id });
      expect((await clientCredentials(tessera.issuer, client.client_id, rotated.client_secret!)).status).toBe(200);
      expect(await peer.clients.delete.mutate({ client_id: client.client_id })).toEqual({ deleted: true });
    });
  });

  describe('authorization', () => {
    it('answers a missing token with UNAUTHORIZED', async () => {
      expect((await errorOf(managementClient(tessera.issuer, undefined).clients.list.query())).code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['create', 'create:clients', (c: Admin) => c.clients.create.mutate({ name: 'x', grant_types: ['client_credentials'] })],
      ['get', 'read:clients', (c: Admin) => c.clients.get.query({ client_id: 'x' })],
      ['list', 'read:clients', (c: Admin) => c.clients.list.query()],
      ['update', 'update:clients', (c: Admin) => c.clients.update.mutate({ client_id: 'x', name: 'x' })],
      ['delete', 'delete:clients', (c: Admin) => c.clients.delete.mutate({ client_id: 'x' })],
      ['rotateSecret', 'update:clients', (c: Admin) => c.clients.rotateSecret.mutate({ client_id: 'x' })],
    ])('refuses clients.%s without %s with FORBIDDEN naming the scope', async (_name, scope, call) => {
      const limited = await adminClient(tessera.issuer, 'read:users');
      const error = await errorOf(call(limited));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });
  });
});
