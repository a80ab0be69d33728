import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';
import { REDIRECT_URI } from '../support/relying-party.js';

const PASSWORD = 'a long password';

describe('connections.* through createCaller, without HTTP', () => {
  let tessera: CallerTessera;
  let admin: Caller;

  beforeAll(async () => {
    tessera = await openCallerTessera();
    admin = tessera.as(MANAGEMENT_SCOPES);
  });
  afterAll(() => tessera?.stop());

  const createConnection = (name: string, extra: Record<string, unknown> = {}) =>
    admin.connections.create({ name, strategy: 'database', ...extra });
  const createUser = (connection: string, email: string) => admin.users.create({ connection, email, password: PASSWORD });
  const webApp = () => admin.clients.create({ name: 'Web App', redirect_uris: [REDIRECT_URI], connections: [] });

  describe('authorization', () => {
    it('answers a call without a bearer token with UNAUTHORIZED', async () => {
      expect((await callErrorOf(tessera.anonymous().connections.list())).code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['create', 'create:connections', (c: Caller) => c.connections.create({ name: 'Forbidden', strategy: 'database' })],
      ['get', 'read:connections', (c: Caller) => c.connections.get({ id: 'con_x' })],
      ['list', 'read:connections', (c: Caller) => c.connections.list()],
      ['update', 'update:connections', (c: Caller) => c.connections.update({ id: 'con_x', options: {} })],
      ['delete', 'delete:connections', (c: Caller) => c.connections.delete({ id: 'con_x' })],
    ] as const)('refuses connections.%s to a caller holding every scope but %s with FORBIDDEN naming it', async (_name, scope, call) => {
      const error = await callErrorOf(call(tessera.allBut(scope)));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });
  });

  describe('create', () => {
    it('creates a database connection with the default options and no clients', async () => {
      expect(await createConnection('Members')).toEqual({
        id: expect.stringMatching(/^con_[0-9a-f]{16}$/),
        name: 'Members',
        strategy: 'database',
        options: { password_policy: { min_length: 8 }, requires_username: false, disable_signup: false },
        enabled_clients: [],
      });
    });

    it('enables the given clients, which then list the connection', async () => {
      const client = await webApp();
      const connection = await createConnection('Partners', {
        enabled_clients: [client.client_id],
        options: { password_policy: { min_length: 12 } },
      });
      expect(connection).toMatchObject({ enabled_clients: [client.client_id], options: { password_policy: { min_length: 12 } } });
      expect((await admin.clients.get({ client_id: client.client_id })).connections).toEqual(['Partners']);
    });

    it('refuses a duplicate name with CONFLICT naming name', async () => {
      await createConnection('Twice');
      expect(await callErrorOf(createConnection('Twice'))).toMatchObject({ code: 'CONFLICT', field: 'name' });
    });

    it.each([
      ['an unknown client', { enabled_clients: ['no-such-client'] }, 'enabled_clients'],
      ['a password policy below one character', { options: { password_policy: { min_length: 0 } } }, 'options.password_policy.min_length'],
      ['an unknown strategy', { strategy: 'kerberos' }, 'strategy'],
      ['a name with spaces', { name: 'has spaces' }, 'name'],
    ])('refuses %s with BAD_REQUEST naming %s', async (_what, extra, field) => {
      expect(await callErrorOf(createConnection('Refused', extra))).toMatchObject({ code: 'BAD_REQUEST', field });
    });

    it('refuses unknown keys and unknown options with BAD_REQUEST naming them', async () => {
      expect((await callErrorOf(createConnection('Extra', { display_name: 'x' }))).message).toContain('display_name');
      expect((await callErrorOf(createConnection('Odd', { options: { colour: 'blue' } }))).message).toContain('colour');
    });

    it.each([
      ['oidc', 'options.issuer'],
      ['ldap', 'options.url'],
      ['saml', 'options.sign_in_url'],
      ['custom', 'options.script'],
    ] as const)('checks a %s connection against its own options schema, naming %s when it is missing', async (strategy, field) => {
      expect(await callErrorOf(admin.connections.create({ name: `Upstream-${strategy}`, strategy, options: {} as never }))).toMatchObject({
        code: 'BAD_REQUEST',
        field,
      });
    });

    it.each([
      ['script', { script: '../../server/cli.ts' }],
      ['mapper', { script: 'custom-db/script.mjs', mapper: '../../server/cli.ts' }],
    ])('refuses options.%s leading out of CODE_DIR with BAD_REQUEST naming it', async (option, options) => {
      const error = await callErrorOf(admin.connections.create({ name: `Escape-${option}`, strategy: 'custom', options }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: `options.${option}` });
      expect(error.message).toContain('..');
    });
  });

  describe('get and list', () => {
    it('get returns the connection and answers an unknown id with NOT_FOUND naming id', async () => {
      const connection = await createConnection('Fetched');
      expect(await admin.connections.get({ id: connection.id })).toEqual(connection);
      expect(await callErrorOf(admin.connections.get({ id: 'con_nope' }))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    });

    it('lists connections in name order, the default one included, by strategy and page', async () => {
      await createConnection('Listed');
      const all = await admin.connections.list();
      const names = all.connections.map((connection) => connection.name);
      expect(names).toEqual(expect.arrayContaining(['Listed', 'Username-Password']));
      expect(names).toEqual([...names].sort());
      expect(all.total).toBe(names.length);
      expect((await admin.connections.list({ strategy: 'database' })).total).toBe(all.total);
      expect((await admin.connections.list({ strategy: 'saml' })).connections).toEqual([]);
      expect(await admin.connections.list({ page: 1, per_page: 1 })).toMatchObject({
        start: 1,
        limit: 1,
        length: 1,
        connections: [all.connections[1]],
      });
    });

    it('refuses per_page over 100 with BAD_REQUEST naming per_page', async () => {
      expect(await callErrorOf(admin.connections.list({ per_page: 101 }))).toMatchObject({ code: 'BAD_REQUEST', field: 'per_page' });
    });

    it('lists by name, and by any of several strategies', async () => {
      const named = await createConnection('By-name');
      expect(await admin.connections.list({ name: 'By-name' })).toMatchObject({ total: 1, connections: [named] });
      expect((await admin.connections.list({ name: 'Nobody-here' })).total).toBe(0);
      const databases = await admin.connections.list({ strategy: 'database' });
      expect(await admin.connections.list({ strategy: ['database', 'saml'] })).toMatchObject({ total: databases.total });
      expect(await callErrorOf(admin.connections.list({ strategy: [] }))).toMatchObject({ code: 'BAD_REQUEST', field: 'strategy' });
    });
  });

  describe('update', () => {
    it('replaces the options, which the next users.create then follows', async () => {
      const connection = await createConnection('Strict');
      const updated = await admin.connections.update({ id: connection.id, options: { password_policy: { min_length: 20 } } });
      expect(updated.options).toEqual({ password_policy: { min_length: 20 }, requires_username: false, disable_signup: false });
      expect(await callErrorOf(createUser('Strict', 'short@example.com'))).toMatchObject({ code: 'BAD_REQUEST', field: 'password' });
    });

    it('changes the clients’ connections when it changes enabled_clients', async () => {
      const connection = await createConnection('Shared');
      const [a, b] = [await webApp(), await webApp()];
      await admin.connections.update({ id: connection.id, enabled_clients: [a.client_id, b.client_id] });
      expect((await admin.clients.get({ client_id: a.client_id })).connections).toEqual(['Shared']);
      expect((await admin.connections.update({ id: connection.id, enabled_clients: [b.client_id] })).enabled_clients).toEqual([
        b.client_id,
      ]);
      expect((await admin.clients.get({ client_id: a.client_id })).connections).toEqual([]);
    });

    it('accepts the current name and strategy but refuses to change either with BAD_REQUEST naming it', async () => {
      const connection = await createConnection('Fixed');
      expect(await admin.connections.update({ id: connection.id, name: 'Fixed', strategy: 'database' })).toEqual(connection);
      expect(await callErrorOf(admin.connections.update({ id: connection.id, strategy: 'oidc' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'strategy',
      });
      expect(await callErrorOf(admin.connections.update({ id: connection.id, name: 'Moved' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'name',
      });
    });

    it('answers an unknown id with NOT_FOUND, and bad options or unknown clients with BAD_REQUEST, keeping the connection as it was', async () => {
      expect((await callErrorOf(admin.connections.update({ id: 'con_nope', options: {} }))).code).toBe('NOT_FOUND');
      const connection = await createConnection('Checked');
      expect(
        await callErrorOf(admin.connections.update({ id: connection.id, options: { requires_username: 'yes' } as never })),
      ).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'options.requires_username',
      });
      expect(await callErrorOf(admin.connections.update({ id: connection.id, enabled_clients: ['no-such-client'] }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'enabled_clients',
      });
      expect(await admin.connections.get({ id: connection.id })).toEqual(connection);
    });
  });

  describe('upstream secrets', () => {
    const OIDC = { issuer: 'https://idp.example.com', client_id: 'tessera', client_secret: 'oidc-secret-0123456789' };
    /** The options as strategies get them. */
    const opened = async (id: string) => (await tessera.services.connections.findById(id))?.options ?? {};

    it('keeps the client_secret out of create, get, list and update, yet gives it to the strategy', async () => {
      const created = await admin.connections.create({ name: 'Sealed-oidc', strategy: 'oidc', options: OIDC });
      const views = [
        created,
        await admin.connections.get({ id: created.id }),
        (await admin.connections.list({ strategy: 'oidc' })).connections.find((connection) => connection.id === created.id),
        await admin.connections.update({ id: created.id, enabled_clients: [] }),
      ];
      for (const view of views) expect(JSON.stringify(view)).not.toContain(OIDC.client_secret);
      expect((await opened(created.id))['client_secret']).toBe(OIDC.client_secret);
    });

    it('keeps a stored secret through an update that omits it, drops it when the issuer changes, and removes it for null', async () => {
      const { client_secret: _secret, ...withoutSecret } = OIDC;
      const connection = await admin.connections.create({ name: 'Rotating-oidc', strategy: 'oidc', options: OIDC });
      await admin.connections.update({ id: connection.id, options: { ...withoutSecret, scope: 'openid email' } });
      expect(await opened(connection.id)).toMatchObject({ scope: 'openid email', client_secret: OIDC.client_secret });
      await admin.connections.update({ id: connection.id, options: { ...withoutSecret, issuer: 'https://elsewhere.example.com' } });
      expect(await opened(connection.id)).not.toHaveProperty('client_secret');
      await admin.connections.update({ id: connection.id, options: { ...OIDC, client_secret: 'a-new-secret' } });
      expect((await opened(connection.id))['client_secret']).toBe('a-new-secret');
      await admin.connections.update({ id: connection.id, options: { ...withoutSecret, client_secret: null } });
      expect(await opened(connection.id)).not.toHaveProperty('client_secret');
    });
  });

  describe('delete', () => {
    it('deletes a connection nobody uses, and clients stop listing it', async () => {
      const client = await webApp();
      const connection = await createConnection('Unused', { enabled_clients: [client.client_id] });
      expect(await admin.connections.delete({ id: connection.id })).toEqual({ deleted: true, deleted_users: 0, unlinked_users: 0 });
      expect((await callErrorOf(admin.connections.get({ id: connection.id }))).code).toBe('NOT_FOUND');
      expect((await admin.clients.get({ client_id: client.client_id })).connections).toEqual([]);
    });

    it('refuses to delete a connection that still has users with CONFLICT saying cascade, and keeps them', async () => {
      const connection = await createConnection('Occupied');
      const user = await createUser('Occupied', 'occupant@example.com');
      const error = await callErrorOf(admin.connections.delete({ id: connection.id }));
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toContain('cascade');
      expect((await admin.users.get({ id: user.user_id! })).user_id).toBe(user.user_id);
      expect(await admin.connections.get({ id: connection.id })).toEqual(connection);
    });

    it('with cascade, deletes its users', async () => {
      const connection = await createConnection('Doomed');
      const user = await createUser('Doomed', 'doomed@example.com');
      expect(await admin.connections.delete({ id: connection.id, cascade: true })).toEqual({
        deleted: true,
        deleted_users: 1,
        unlinked_users: 0,
      });
      expect((await callErrorOf(admin.users.get({ id: user.user_id! }))).code).toBe('NOT_FOUND');
      expect((await callErrorOf(admin.connections.get({ id: connection.id }))).code).toBe('NOT_FOUND');
    });

    it('with cascade, lets a user who only linked an identity from it keep the account, minus that identity', async () => {
      const connection = await createConnection('Sideline');
      const primary = await createUser('Username-Password', 'keeper@example.com');
      const secondary = await createUser('Sideline', 'keeper-side@example.com');
      await admin.users.link({ id: primary.user_id!, link_with: secondary.user_id! });
      expect(await admin.connections.delete({ id: connection.id, cascade: true })).toEqual({
        deleted: true,
        deleted_users: 0,
        unlinked_users: 1,
      });
      expect((await admin.users.get({ id: primary.user_id! })).identities).toEqual(primary.identities);
    });

    it('answers an unknown id with NOT_FOUND', async () => {
      expect((await callErrorOf(admin.connections.delete({ id: 'con_nope' }))).code).toBe('NOT_FOUND');
    });
  });
});
