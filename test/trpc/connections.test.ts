import * as oidc from 'openid-client';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEALED_PREFIX } from '../../adapters/crypto/sealing.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type Admin = Awaited<ReturnType<typeof adminClient>>;
type Event = { type: string; user_id: string };

const PASSWORD = 'a long password';

describe('connections.* over a real @trpc/client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Admin;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const createConnection = (name: string, extra: Record<string, unknown> = {}) =>
    admin.connections.create.mutate({ name, strategy: 'database', ...extra });
  const createUser = (connection: string, email: string) => admin.users.create.mutate({ connection, email, password: PASSWORD });
  const webApp = (connections?: string[]) =>
    admin.clients.create.mutate({ name: 'Web App', redirect_uris: [REDIRECT_URI], ...(connections ? { connections } : {}) });

  /** The first `count` events of a user, replayed from the start of the feed. */
  function eventsOf(userId: string, count: number): Promise<Event[]> {
    const events: Event[] = [];
    return new Promise((resolve, reject) => {
      const subscription = admin.users.events.subscribe(
        { user_id: userId, lastEventId: '0' },
        {
          onData: ({ data }) => {
            events.push({ type: data.type, user_id: data.user_id });
            if (events.length === count) {
              subscription.unsubscribe();
              resolve(events);
            }
          },
          onError: reject,
        },
      );
    });
  }

  describe('create', () => {
    it('creates a database connection with the default options and no clients', async () => {
      const connection = await createConnection('Members');
      expect(connection).toEqual({
        id: expect.stringMatching(/^con_[0-9a-f]{16}$/),
        name: 'Members',
        strategy: 'database',
        options: { password_policy: { min_length: 8 }, requires_username: false, disable_signup: false },
        enabled_clients: [],
      });
    });

    it('enables the given clients, which then list the connection', async () => {
      const client = await webApp([]);
      const connection = await createConnection('Partners', {
        enabled_clients: [client.client_id],
        options: { password_policy: { min_length: 12 } },
      });
      expect(connection).toMatchObject({ enabled_clients: [client.client_id], options: { password_policy: { min_length: 12 } } });
      expect((await admin.clients.get.query({ client_id: client.client_id })).connections).toEqual(['Partners']);
    });

    it('refuses a duplicate name with CONFLICT', async () => {
      await createConnection('Twice');
      expect(await errorOf(createConnection('Twice'))).toMatchObject({ code: 'CONFLICT', field: 'name' });
    });

    it('refuses an unknown client with BAD_REQUEST naming it', async () => {
      const error = await errorOf(createConnection('Orphan', { enabled_clients: ['no-such-client'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'enabled_clients' });
      expect(error.message).toContain('no-such-client');
    });

    it('refuses invalid options with BAD_REQUEST naming the option', async () => {
      expect(await errorOf(createConnection('Weak', { options: { password_policy: { min_length: 0 } } }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'options.password_policy.min_length',
      });
      const unknown = await errorOf(createConnection('Odd', { options: { colour: 'blue' } }));
      expect(unknown.code).toBe('BAD_REQUEST');
      expect(unknown.message).toContain('colour');
    });

    it.each([
      ['oidc', 'options.issuer'],
      ['ldap', 'options.url'],
      ['saml', 'options.sign_in_url'],
      ['custom', 'options.script'],
    ] as const)('checks a %s connection against its own options schema, naming %s when it is missing', async (strategy, field) => {
      const error = await errorOf(admin.connections.create.mutate({ name: `Upstream-${strategy}`, strategy, options: {} as never }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field });
    });

    it.each([
      ['script', { script: '../../server/cli.ts' }],
      ['mapper', { script: 'custom-db/script.mjs', mapper: '../../server/cli.ts' }],
    ])('refuses options.%s leading out of CODE_DIR (here to the server’s own CLI) with BAD_REQUEST naming it', async (option, options) => {
      const error = await errorOf(admin.connections.create.mutate({ name: `Escape-${option}`, strategy: 'custom', options }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: `options.${option}` });
      expect(error.message).toContain('..');
      expect((await fetch(`${tessera.issuer}/healthz`)).status).toBe(200);
    });

    it('refuses an unknown strategy, a malformed name and unknown keys with BAD_REQUEST', async () => {
      expect(await errorOf(admin.connections.create.mutate({ name: 'Nope', strategy: 'kerberos' as never }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'strategy',
      });
      expect(await errorOf(createConnection('has spaces'))).toMatchObject({ code: 'BAD_REQUEST', field: 'name' });
      const error = await errorOf(createConnection('Extra', { display_name: 'x' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('display_name');
    });
  });

  describe('get and list', () => {
    it('get returns the connection and answers an unknown id with NOT_FOUND', async () => {
      const connection = await createConnection('Fetched');
      expect(await admin.connections.get.query({ id: connection.id })).toEqual(connection);
      expect(await errorOf(admin.connections.get.query({ id: 'con_nope' }))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    });

    it('lists connections in name order, the default one included, by strategy and page', async () => {
      await createConnection('Listed');
      const all = await admin.connections.list.query();
      const names = all.connections.map((connection) => connection.name);
      expect(names).toEqual(expect.arrayContaining(['Listed', 'Username-Password']));
      expect(all.total).toBe(names.length);
      expect((await admin.connections.list.query({ strategy: 'database' })).total).toBe(all.total);
      expect((await admin.connections.list.query({ strategy: 'saml' })).connections).toEqual([]);
      const second = await admin.connections.list.query({ page: 1, per_page: 1 });
      expect(second).toMatchObject({ start: 1, limit: 1, length: 1, connections: [all.connections[1]] });
    });

    it('refuses per_page over 100 with BAD_REQUEST', async () => {
      expect(await errorOf(admin.connections.list.query({ per_page: 101 }))).toMatchObject({ code: 'BAD_REQUEST', field: 'per_page' });
    });
  });

  describe('update', () => {
    it('replaces the options, which the next users.create then follows', async () => {
      const connection = await createConnection('Strict');
      const updated = await admin.connections.update.mutate({ id: connection.id, options: { password_policy: { min_length: 20 } } });
      expect(updated.options).toEqual({ password_policy: { min_length: 20 }, requires_username: false, disable_signup: false });
      expect(await errorOf(createUser('Strict', 'short@example.com'))).toMatchObject({ code: 'BAD_REQUEST', field: 'password' });
    });

    it('changes the client’s connections when it changes enabled_clients', async () => {
      const connection = await createConnection('Shared');
      const [a, b] = [await webApp([]), await webApp([])];
      await admin.connections.update.mutate({ id: connection.id, enabled_clients: [a.client_id, b.client_id] });
      expect((await admin.clients.get.query({ client_id: a.client_id })).connections).toEqual(['Shared']);
      const updated = await admin.connections.update.mutate({ id: connection.id, enabled_clients: [b.client_id] });
      expect(updated.enabled_clients).toEqual([b.client_id]);
      expect((await admin.clients.get.query({ client_id: a.client_id })).connections).toEqual([]);
    });

    it('accepts the current name and strategy but refuses to change either with BAD_REQUEST', async () => {
      const connection = await createConnection('Fixed');
      expect(await admin.connections.update.mutate({ id: connection.id, name: 'Fixed', strategy: 'database' })).toEqual(connection);
      expect(await errorOf(admin.connections.update.mutate({ id: connection.id, strategy: 'oidc' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'strategy',
      });
      expect(await errorOf(admin.connections.update.mutate({ id: connection.id, name: 'Moved' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'name',
      });
    });

    it('answers an unknown id with NOT_FOUND, bad options and unknown clients with BAD_REQUEST', async () => {
      expect((await errorOf(admin.connections.update.mutate({ id: 'con_nope', options: {} }))).code).toBe('NOT_FOUND');
      const connection = await createConnection('Checked');
      expect(await errorOf(admin.connections.update.mutate({ id: connection.id, options: { requires_username: 'yes' } }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'options.requires_username',
      });
      expect(await errorOf(admin.connections.update.mutate({ id: connection.id, enabled_clients: ['no-such-client'] }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'enabled_clients',
      });
      expect(await admin.connections.get.query({ id: connection.id })).toEqual(connection);
    });
  });

  describe('upstream secrets', () => {
    const OIDC = { issuer: 'https://idp.example.com', client_id: 'tessera', client_secret: 'oidc-secret-0123456789' };
    const LDAP = {
      url: 'ldap://127.0.0.1:9',
      search_base: 'ou=people,dc=example,dc=org',
      bind_dn: 'cn=reader,dc=example,dc=org',
      bind_password: 'ldap-secret-0123456789',
    };

    async function stored(id: string): Promise<Record<string, unknown>> {
      const [row] = await tessera.database.models.sequelize.query<{ options: Record<string, unknown> }>(
        'SELECT options FROM connections WHERE id = $1',
        {
          bind: [id],
          type: QueryTypes.SELECT,
        },
      );
      return row?.options ?? {};
    }
    /** The options as strategies get them. */
    const opened = async (id: string) => (await tessera.services.connections.findById(id))?.options ?? {};

    it.each([
      {
        strategy: 'oidc',
        secret: 'client_secret',
        options: OIDC,
        create: () => admin.connections.create.mutate({ name: 'Sealed-oidc', strategy: 'oidc', options: OIDC }),
      },
      {
        strategy: 'ldap',
        secret: 'bind_password',
        options: LDAP,
        create: () => admin.connections.create.mutate({ name: 'Sealed-ldap', strategy: 'ldap', options: LDAP }),
      },
    ] as const)(
      'keeps a $strategy connection’s $secret sealed in the table, clear for its strategy, and out of create, get, list and update',
      async ({ strategy, secret, options, create }) => {
        const value = (options as Record<string, string>)[secret];
        const created = await create();
        const views = [
          created,
          await admin.connections.get.query({ id: created.id }),
          (await admin.connections.list.query({ strategy })).connections.find((connection) => connection.id === created.id),
          await admin.connections.update.mutate({ id: created.id, enabled_clients: [] }),
        ];
        for (const view of views) {
          expect(view?.options).not.toHaveProperty(secret);
          expect(JSON.stringify(view)).not.toContain(value);
        }
        expect(created.options).toMatchObject(Object.fromEntries(Object.entries(options).filter(([name]) => name !== secret)));
        const row = await stored(created.id);
        expect(String(row[secret]).startsWith(SEALED_PREFIX)).toBe(true);
        expect(JSON.stringify(row)).not.toContain(value);
        expect((await opened(created.id))[secret]).toBe(value);
      },
    );

    it('keeps a stored secret through an update that omits it, drops it when the issuer or directory it belongs with changes, and removes it for null', async () => {
      const { client_secret: _secret, ...withoutSecret } = OIDC;
      const oidcConnection = await admin.connections.create.mutate({ name: 'Rotating-oidc', strategy: 'oidc', options: OIDC });
      await admin.connections.update.mutate({ id: oidcConnection.id, options: { ...withoutSecret, scope: 'openid email' } });
      expect(await opened(oidcConnection.id)).toMatchObject({ scope: 'openid email', client_secret: OIDC.client_secret });
      await admin.connections.update.mutate({
        id: oidcConnection.id,
        options: { ...withoutSecret, issuer: 'https://elsewhere.example.com' },
      });
      expect(await opened(oidcConnection.id)).not.toHaveProperty('client_secret');
      await admin.connections.update.mutate({ id: oidcConnection.id, options: { ...OIDC, client_secret: 'a-new-secret' } });
      expect((await opened(oidcConnection.id))['client_secret']).toBe('a-new-secret');
      await admin.connections.update.mutate({ id: oidcConnection.id, options: { ...withoutSecret, client_secret: null } });
      expect(await opened(oidcConnection.id)).not.toHaveProperty('client_secret');

      const { bind_password: _password, ...ldapWithoutPassword } = LDAP;
      const ldapConnection = await admin.connections.create.mutate({ name: 'Rotating-ldap', strategy: 'ldap', options: LDAP });
      await admin.connections.update.mutate({ id: ldapConnection.id, options: { ...ldapWithoutPassword, pool_size: 2 } });
      expect(await opened(ldapConnection.id)).toMatchObject({ pool_size: 2, bind_password: LDAP.bind_password });
      const { bind_dn: _dn, ...anonymous } = ldapWithoutPassword;
      await admin.connections.update.mutate({ id: ldapConnection.id, options: anonymous });
      expect(await opened(ldapConnection.id)).not.toHaveProperty('bind_password');
    });
  });

  describe('delete', () => {
    it('deletes a connection nobody uses, and clients stop listing it', async () => {
      const client = await webApp([]);
      const connection = await createConnection('Unused', { enabled_clients: [client.client_id] });
      expect(await admin.connections.delete.mutate({ id: connection.id })).toEqual({ deleted: true, deleted_users: 0, unlinked_users: 0 });
      expect((await errorOf(admin.connections.get.query({ id: connection.id }))).code).toBe('NOT_FOUND');
      expect((await admin.clients.get.query({ client_id: client.client_id })).connections).toEqual([]);
    });

    it('refuses to delete a connection that still has users with CONFLICT, and keeps them', async () => {
      const connection = await createConnection('Occupied');
      const user = await createUser('Occupied', 'occupant@example.com');
      const error = await errorOf(admin.connections.delete.mutate({ id: connection.id }));
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toContain('cascade');
      expect((await admin.users.get.query({ id: user.user_id! })).user_id).toBe(user.user_id);
      expect(await admin.connections.get.query({ id: connection.id })).toEqual(connection);
    });

    it('with cascade, deletes its users, ends their sessions and tokens, and publishes user.deleted', async () => {
      const client = await webApp([]);
      const connection = await createConnection('Doomed', { enabled_clients: [client.client_id] });
      const user = await createUser('Doomed', 'doomed@example.com');
      const config = await discover(tessera.issuer, client.client_id, client.client_secret);
      const { tokens } = await login(config, { scope: 'openid offline_access', username: 'doomed@example.com', password: PASSWORD });
      const grants = tessera.services.adapter('Grant');
      expect(await grants.idsByAccount(user.user_id!)).toHaveLength(1);

      expect(await admin.connections.delete.mutate({ id: connection.id, cascade: true })).toEqual({
        deleted: true,
        deleted_users: 1,
        unlinked_users: 0,
      });
      expect((await errorOf(admin.users.get.query({ id: user.user_id! }))).code).toBe('NOT_FOUND');
      expect((await errorOf(admin.connections.get.query({ id: connection.id }))).code).toBe('NOT_FOUND');
      expect(await grants.idsByAccount(user.user_id!)).toEqual([]);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await eventsOf(user.user_id!, 3)).map((event) => event.type)).toEqual(['user.created', 'user.login', 'user.deleted']);
    });

    it('with cascade, lets a user who only linked an identity from it keep the account, minus that identity', async () => {
      await createConnection('Sideline');
      const primary = await createUser('Username-Password', 'keeper@example.com');
      const secondary = await createUser('Sideline', 'keeper-side@example.com');
      await admin.users.link.mutate({ id: primary.user_id!, link_with: secondary.user_id! });
      const connection = (await admin.connections.list.query()).connections.find((candidate) => candidate.name === 'Sideline')!;

      expect(await admin.connections.delete.mutate({ id: connection.id, cascade: true })).toEqual({
        deleted: true,
        deleted_users: 0,
        unlinked_users: 1,
      });
      const kept = await admin.users.get.query({ id: primary.user_id! });
      expect(kept.identities).toEqual(primary.identities);
      expect((await eventsOf(primary.user_id!, 3)).map((event) => event.type)).toEqual(['user.created', 'user.linked', 'user.unlinked']);
    });

    it('answers an unknown id with NOT_FOUND', async () => {
      expect((await errorOf(admin.connections.delete.mutate({ id: 'con_nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('authorization', () => {
    it('answers a missing token with UNAUTHORIZED', async () => {
      expect((await errorOf(managementClient(tessera.issuer, undefined).connections.list.query())).code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['create', 'create:connections', (c: Admin) => c.connections.create.mutate({ name: 'Forbidden', strategy: 'database' })],
      ['get', 'read:connections', (c: Admin) => c.connections.get.query({ id: 'con_x' })],
      ['list', 'read:connections', (c: Admin) => c.connections.list.query()],
      ['update', 'update:connections', (c: Admin) => c.connections.update.mutate({ id: 'con_x', options: {} })],
      ['delete', 'delete:connections', (c: Admin) => c.connections.delete.mutate({ id: 'con_x' })],
    ])('refuses connections.%s without %s with FORBIDDEN naming the scope', async (_name, scope, call) => {
      const limited = await adminClient(tessera.issuer, 'read:users');
      const error = await errorOf(call(limited));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });
  });
});
