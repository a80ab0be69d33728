import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';
import { REDIRECT_URI } from '../support/relying-party.js';
import { ADMIN } from '../support/tessera.js';

describe('clients.* through createCaller, without HTTP', () => {
  let tessera: CallerTessera;
  let admin: Caller;

  beforeAll(async () => {
    tessera = await openCallerTessera();
    admin = tessera.as(MANAGEMENT_SCOPES);
  });
  afterAll(() => tessera?.stop());

  const webApp = (extra: Record<string, unknown> = {}) =>
    admin.clients.create({ name: 'Web App', redirect_uris: [REDIRECT_URI], ...extra });
  const machine = (extra: Record<string, unknown> = {}) =>
    admin.clients.create({ name: 'Machine', grant_types: ['client_credentials'], ...extra });

  describe('authorization', () => {
    it('answers a call without a bearer token with UNAUTHORIZED', async () => {
      expect((await callErrorOf(tessera.anonymous().clients.list())).code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['create', 'create:clients', (c: Caller) => c.clients.create({ name: 'x', grant_types: ['client_credentials'] })],
      ['get', 'read:clients', (c: Caller) => c.clients.get({ client_id: 'x' })],
      ['list', 'read:clients', (c: Caller) => c.clients.list()],
      ['update', 'update:clients', (c: Caller) => c.clients.update({ client_id: 'x', name: 'x' })],
      ['delete', 'delete:clients', (c: Caller) => c.clients.delete({ client_id: 'x' })],
      ['rotateSecret', 'update:clients', (c: Caller) => c.clients.rotateSecret({ client_id: 'x' })],
    ] as const)('refuses clients.%s to a caller holding every scope but %s with FORBIDDEN naming it', async (_name, scope, call) => {
      const error = await callErrorOf(call(tessera.allBut(scope)));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });
  });

  describe('create', () => {
    it('creates a confidential client with Auth0-like defaults, a generated id and its secret', async () => {
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
      expect(client.client_secret).toBeUndefined();
      expect(client.token_endpoint_auth_method).toBe('none');
    });

    it('enables exactly the named connections, which then list the client', async () => {
      const staff = await admin.connections.create({ name: 'Staff', strategy: 'database' });
      const client = await webApp({ connections: ['Staff'] });
      expect(client.connections).toEqual(['Staff']);
      expect((await admin.connections.get({ id: staff.id })).enabled_clients).toEqual([client.client_id]);
    });

    it.each([
      ['an unknown connection', { connections: ['Nowhere'] }, 'connections'],
      ['no redirect URI for the code flow', { redirect_uris: [] }, 'redirect_uris'],
      ['a malformed redirect URI', { redirect_uris: ['not a url'] }, 'redirect_uris.0'],
      [
        'a post-logout redirect URI with a fragment',
        { post_logout_redirect_uris: ['https://app.example.com/bye#now'] },
        'post_logout_redirect_uris',
      ],
      [
        'HS256 ID tokens for a public client',
        { token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'HS256' },
        'id_token_signed_response_alg',
      ],
      [
        'client_credentials without client authentication',
        { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'client_credentials'] },
        'token_endpoint_auth_method',
      ],
      ['management scopes without the client_credentials grant', { management_scopes: ['read:users'] }, 'management_scopes'],
    ])('refuses %s with BAD_REQUEST naming %s', async (_what, extra, field) => {
      expect(await callErrorOf(webApp(extra))).toMatchObject({ code: 'BAD_REQUEST', field });
    });

    it('refuses unknown keys with BAD_REQUEST naming them', async () => {
      const error = await callErrorOf(webApp({ client_secret: 'chosen' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('client_secret');
    });

    it('refuses to grant a management scope the caller does not hold, with FORBIDDEN naming only that one', async () => {
      const limited = tessera.as(['create:clients', 'read:users']);
      const error = await callErrorOf(
        limited.clients.create({ name: 'Greedy', grant_types: ['client_credentials'], management_scopes: ['read:users', 'delete:users'] }),
      );
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('delete:users');
      expect(error.message).not.toContain('read:users');
      await expect(
        limited.clients.create({ name: 'Modest', grant_types: ['client_credentials'], management_scopes: ['read:users'] }),
      ).resolves.toMatchObject({
        management_scopes: ['read:users'],
      });
    });
  });

  describe('get and list', () => {
    it('get returns the client as created, without its secret', async () => {
      const { client_secret: _secret, ...created } = await webApp({
        is_first_party: false,
        post_logout_redirect_uris: ['http://127.0.0.1:9/bye'],
      });
      const found = await admin.clients.get({ client_id: created.client_id });
      expect(found).toEqual(created);
      expect(found.client_secret).toBeUndefined();
    });

    it('answers an unknown client with NOT_FOUND naming client_id', async () => {
      expect(await callErrorOf(admin.clients.get({ client_id: 'no-such-client' }))).toMatchObject({
        code: 'NOT_FOUND',
        field: 'client_id',
      });
    });

    it('lists every client, the admin one included, in client_id order, without secrets, and pages without skipping or repeating one', async () => {
      await webApp();
      await machine();
      const all = await admin.clients.list({ per_page: 100 });
      const ids = all.clients.map((client) => client.client_id);
      expect(ids).toContain(ADMIN.clientId);
      expect(ids).toEqual([...ids].sort());
      expect(all.clients.every((client) => client.client_secret === undefined)).toBe(true);
      expect(all).toMatchObject({ total: ids.length, start: 0, limit: 100, length: ids.length });
      const paged: string[] = [];
      for (let page = 0; page * 2 < all.total; page += 1)
        paged.push(...(await admin.clients.list({ page, per_page: 2 })).clients.map((client) => client.client_id));
      expect(paged).toEqual(ids);
    });

    it('refuses per_page over 100 with BAD_REQUEST naming per_page', async () => {
      expect(await callErrorOf(admin.clients.list({ per_page: 101 }))).toMatchObject({ code: 'BAD_REQUEST', field: 'per_page' });
    });

    it('lists by is_first_party and by application type, with totals of what matches', async () => {
      const thirdParty = await webApp({ is_first_party: false });
      const robot = await machine();
      const all = (await admin.clients.list({ per_page: 100 })).clients;
      const ids = (clients: { client_id: string }[]) => clients.map((client) => client.client_id);
      const firstParty = await admin.clients.list({ per_page: 100, is_first_party: true });
      expect(ids(firstParty.clients)).toEqual(ids(all.filter((client) => client.is_first_party)));
      expect(firstParty.total).toBe(firstParty.clients.length);
      expect(ids((await admin.clients.list({ per_page: 100, is_first_party: false })).clients)).toContain(thirdParty.client_id);
      const machines = await admin.clients.list({ per_page: 100, app_type: ['non_interactive'] });
      expect(ids(machines.clients)).toContain(robot.client_id);
      expect(machines.clients.every((client) => client.grant_types.join() === 'client_credentials')).toBe(true);
      expect((await admin.clients.list({ app_type: [] })).total).toBe(0);
    });
  });

  describe('update', () => {
    it('replaces only the given fields', async () => {
      const { client_secret: _secret, ...client } = await machine({ management_scopes: ['read:users'] });
      const updated = await admin.clients.update({
        client_id: client.client_id,
        name: 'Renamed',
        management_scopes: ['read:users', 'read:clients'],
      });
      expect(updated).toEqual({ ...client, name: 'Renamed', management_scopes: ['read:users', 'read:clients'] });
      expect(await admin.clients.get({ client_id: client.client_id })).toEqual(updated);
    });

    it('changes the connection’s enabled_clients when it changes the client’s connections', async () => {
      const staff = await admin.connections.create({ name: 'Staff2', strategy: 'database' });
      const client = await webApp();
      await admin.clients.update({ client_id: client.client_id, connections: ['Staff2'] });
      expect((await admin.connections.get({ id: staff.id })).enabled_clients).toEqual([client.client_id]);
      await admin.clients.update({ client_id: client.client_id, connections: [] });
      expect((await admin.connections.get({ id: staff.id })).enabled_clients).toEqual([]);
      expect((await admin.clients.get({ client_id: client.client_id })).connections).toEqual([]);
    });

    it('drops the secret of a client made public, which then has no secret to rotate', async () => {
      const client = await webApp();
      const updated = await admin.clients.update({ client_id: client.client_id, token_endpoint_auth_method: 'none' });
      expect(updated.client_secret).toBeUndefined();
      expect(await callErrorOf(admin.clients.rotateSecret({ client_id: client.client_id }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'token_endpoint_auth_method',
      });
    });

    it('answers an unknown client with NOT_FOUND, and invalid changes with BAD_REQUEST naming the field, keeping the client as it was', async () => {
      expect((await callErrorOf(admin.clients.update({ client_id: 'no-such-client', name: 'x' }))).code).toBe('NOT_FOUND');
      const { client_secret: _secret, ...client } = await webApp();
      const invalid: Array<[changes: { redirect_uris?: string[]; connections?: string[]; name?: string }, field: string]> = [
        [{ redirect_uris: [] }, 'redirect_uris'],
        [{ connections: ['Nowhere'] }, 'connections'],
        [{ name: '' }, 'name'],
      ];
      for (const [changes, field] of invalid) {
        expect(await callErrorOf(admin.clients.update({ client_id: client.client_id, ...changes }))).toMatchObject({
          code: 'BAD_REQUEST',
          field,
        });
      }
      expect(await admin.clients.get({ client_id: client.client_id })).toEqual(client);
    });

    it('refuses to make a client_credentials client public, or a public client a client_credentials one, naming token_endpoint_auth_method', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      expect(await callErrorOf(admin.clients.update({ client_id: client.client_id, token_endpoint_auth_method: 'none' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'token_endpoint_auth_method',
      });
      const spa = await webApp({ token_endpoint_auth_method: 'none' });
      expect(
        await callErrorOf(admin.clients.update({ client_id: spa.client_id, grant_types: ['authorization_code', 'client_credentials'] })),
      ).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'token_endpoint_auth_method',
      });
      expect((await admin.clients.get({ client_id: spa.client_id })).grant_types).toEqual(['authorization_code', 'refresh_token']);
    });
  });

  describe('delete and rotateSecret', () => {
    it('deletes the client: it is NOT_FOUND afterwards and no connection lists it', async () => {
      const client = await webApp();
      expect(await admin.clients.delete({ client_id: client.client_id })).toEqual({ deleted: true });
      expect((await callErrorOf(admin.clients.get({ client_id: client.client_id }))).code).toBe('NOT_FOUND');
      expect((await callErrorOf(admin.clients.delete({ client_id: client.client_id }))).code).toBe('NOT_FOUND');
      const { connections } = await admin.connections.list({});
      expect(connections.flatMap((connection) => connection.enabled_clients)).not.toContain(client.client_id);
    });

    it('rotates to a new secret that get never shows, and answers an unknown client with NOT_FOUND', async () => {
      const client = await machine();
      const rotated = await admin.clients.rotateSecret({ client_id: client.client_id });
      expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.client_secret).not.toBe(client.client_secret);
      expect((await admin.clients.get({ client_id: client.client_id })).client_secret).toBeUndefined();
      expect((await callErrorOf(admin.clients.rotateSecret({ client_id: 'no-such-client' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('a client holding a management scope the caller lacks', () => {
    it('cannot have its secret rotated, be made public, renamed, narrowed or deleted by such a caller: FORBIDDEN naming what it lacks', async () => {
      const client = await machine({ management_scopes: ['read:users', 'delete:users'] });
      const { client_secret: _secret, ...before } = client;
      const limited = tessera.as(['read:clients', 'update:clients', 'delete:clients', 'read:users']);
      const attempts = [
        () => limited.clients.rotateSecret({ client_id: client.client_id }),
        () => limited.clients.update({ client_id: client.client_id, token_endpoint_auth_method: 'none' }),
        () => limited.clients.update({ client_id: client.client_id, name: 'Mine now' }),
        () => limited.clients.update({ client_id: client.client_id, management_scopes: ['read:users'] }),
        () => limited.clients.delete({ client_id: client.client_id }),
      ];
      for (const attempt of attempts) {
        const error = await callErrorOf(attempt());
        expect(error.code).toBe('FORBIDDEN');
        expect(error.message).toContain('delete:users');
        expect(error.message).not.toContain('read:users');
      }
      expect(await admin.clients.get({ client_id: client.client_id })).toEqual(before);
    });

    it('can be updated, rotated and deleted by a caller holding all of its scopes', async () => {
      const client = await machine({ management_scopes: ['read:users'] });
      const peer = tessera.as(['update:clients', 'delete:clients', 'read:users']);
      expect((await peer.clients.update({ client_id: client.client_id, name: 'Peer' })).name).toBe('Peer');
      expect((await peer.clients.rotateSecret({ client_id: client.client_id })).client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await peer.clients.delete({ client_id: client.client_id })).toEqual({ deleted: true });
    });
  });
});
