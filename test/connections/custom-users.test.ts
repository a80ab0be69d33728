import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyDatabase, LEGACY_SCRIPT, type LegacyDatabase } from '../fixtures/custom-db/legacy-database.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

/** users.create, update and delete on a custom database connection: the script hears first, Tessera follows. */
describe('managing the users of a custom database connection', () => {
  let legacy: LegacyDatabase;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;
  let config: Awaited<ReturnType<typeof discover>>;
  const connectionIds = new Map<string, string>();

  const options = (extra: Record<string, unknown> = {}) => ({
    script: LEGACY_SCRIPT,
    configuration: { database_url: legacy.url },
    timeout_ms: 30_000,
    ...extra,
  });

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    tessera = await startTestTessera();
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    const client = await createClient(tessera);
    for (const [name, extra] of [
      ['Legacy', {}],
      ['Legacy-Import', { import_users: true }],
      ['Legacy-Fragile', {}],
    ] as const) {
      const created = await admin.connections.create.mutate({
        name,
        strategy: 'custom',
        options: options(extra),
        enabled_clients: [client.client_id],
      });
      connectionIds.set(name, created.id);
    }
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await legacy?.close();
  });

  const logIn = (connection: string, username: string, password: string) =>
    login(config, { scope: 'openid profile email', username, password, extraParams: { connection } });

  async function loginStatus(connection: string, username: string, password: string): Promise<number | 'logged in'> {
    const browser = new Browser();
    const { page } = await openLoginPage(config, 'openid', { connection }, browser);
    if (!isPage(page)) throw new Error('expected a login page');
    const after = await browser.submit(page, { username, password }, REDIRECT_URI);
    return isPage(after) ? after.status : 'logged in';
  }

  const passwordHashOf = async (externalId: string) =>
    (
      await tessera.database.sequelize.query<{ password_hash: string | null }>(
        `SELECT password_hash FROM identities WHERE external_id = $1`,
        {
          bind: [externalId],
          type: QueryTypes.SELECT,
        },
      )
    )[0]?.password_hash;

  /** Points a connection's script at a database that is gone, for the length of `body`. */
  async function withLegacyGone(connection: string, body: () => Promise<void>) {
    const id = connectionIds.get(connection)!;
    await admin.connections.update.mutate({ id, options: options({ configuration: { database_url: legacy.missingDatabaseUrl() } }) });
    try {
      await body();
    } finally {
      await admin.connections.update.mutate({ id, options: options() });
    }
  }

  it('creates the member through the script, then the Tessera user from the profile it returns, who can log in', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Legacy',
      email: 'New.Member@Legacy.example',
      password: 'a brand new password',
      given_name: 'New',
      family_name: 'Member',
      username: 'newmember',
      user_metadata: { theme: 'dark' },
    });
    const member = await legacy.member('new.member@legacy.example');
    expect(member).toMatchObject({ first_name: 'New', surname: 'Member', login: 'newmember', verified: false });
    expect(member?.pw_hash).not.toContain('a brand new password');
    expect(created).toMatchObject({
      user_id: `custom|Legacy|${member!.member_no}`,
      email: 'new.member@legacy.example',
      given_name: 'New',
      family_name: 'Member',
      username: 'newmember',
      user_metadata: { theme: 'dark' },
      identities: [{ connection: 'Legacy', provider: 'custom', user_id: `Legacy|${member!.member_no}`, isSocial: false }],
    });
    expect(await passwordHashOf(`Legacy|${member!.member_no}`)).toBeNull();

    const { tokens } = await logIn('Legacy', 'newmember', 'a brand new password');
    expect(tokens.claims()).toMatchObject({ sub: created.user_id, family_name: 'Member' });
    expect(await admin.users.get.query({ id: created.user_id! })).toMatchObject({ logins_count: 1, user_metadata: { theme: 'dark' } });
  });

  it('gives a user created through the script the management scopes asked for, held by Tessera', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Legacy',
      email: 'operator@legacy.example',
      password: 'an operator password',
      management_scopes: ['read:users'],
    });
    expect(created.management_scopes).toEqual(['read:users']);
    expect((await admin.users.get.query({ id: created.user_id! })).management_scopes).toEqual(['read:users']);
  });

  it('keeps the argon2id hash of a user created with import_users, so logins never ask the script', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Legacy-Import',
      email: 'imported@legacy.example',
      password: 'imported password',
    });
    expect(await passwordHashOf(created.identities![0]!.user_id)).toMatch(/^\$argon2id\$/);
    const { tokens } = await logIn('Legacy-Import', 'imported@legacy.example', 'imported password');
    expect(tokens.claims()?.sub).toBe(created.user_id);
    expect(await legacy.calls('login', 'imported@legacy.example')).toBe(0);
  });

  it('refuses with CONFLICT an email the legacy database already has, asking getUser first, and creates nothing', async () => {
    await legacy.addMember({ mail: 'existing@legacy.example', password: 'already here' });
    const error = await errorOf(
      admin.users.create.mutate({ connection: 'Legacy', email: 'EXISTING@legacy.example', password: 'another password' }),
    );
    expect(error).toMatchObject({
      code: 'CONFLICT',
      field: 'email',
      message: 'a user with this email already exists in the custom database',
    });
    expect(await legacy.calls('getUser', 'existing@legacy.example')).toBe(1);
    expect(await legacy.calls('create', 'existing@legacy.example')).toBe(0);
    expect(await admin.users.getByEmail.query({ email: 'existing@legacy.example' })).toEqual([]);
  });

  it('refuses with CONFLICT an email this connection already has, without asking the script', async () => {
    await admin.users.create.mutate({ connection: 'Legacy', email: 'twice@legacy.example', password: 'first password' });
    const error = await errorOf(
      admin.users.create.mutate({ connection: 'Legacy', email: 'twice@legacy.example', password: 'second password' }),
    );
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'a user with this email already exists in this connection' });
    expect(await legacy.calls('getUser', 'twice@legacy.example')).toBe(1);
  });

  it('refuses a weak password or a missing email with BAD_REQUEST naming the field, before the script is asked', async () => {
    expect(
      await errorOf(admin.users.create.mutate({ connection: 'Legacy', email: 'weak@legacy.example', password: 'short' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'password',
    });
    expect(
      await errorOf(admin.users.create.mutate({ connection: 'Legacy', username: 'nomail', password: 'long enough password' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'email',
    });
    expect(await legacy.calls('getUser', 'weak@legacy.example')).toBe(0);
    expect(await legacy.member('weak@legacy.example')).toBeUndefined();
  });

  it('fails users.create with BAD_GATEWAY when the script fails, and creates nothing', async () => {
    await withLegacyGone('Legacy-Fragile', async () => {
      const error = await errorOf(
        admin.users.create.mutate({ connection: 'Legacy-Fragile', email: 'unborn@legacy.example', password: 'never stored' }),
      );
      expect(error).toMatchObject({
        code: 'BAD_GATEWAY',
        message: 'the custom database script failed: getUser: database "legacy_gone" does not exist',
      });
    });
    expect(await admin.users.getByEmail.query({ email: 'unborn@legacy.example' })).toEqual([]);
  });

  it('changes the password through changePassword: the legacy database takes the new one and refuses the old', async () => {
    const memberNo = await legacy.addMember({ mail: 'changer@legacy.example', password: 'old password here' });
    const { tokens } = await logIn('Legacy', 'changer@legacy.example', 'old password here');
    await admin.users.update.mutate({ id: tokens.claims()!.sub, password: 'new password here' });
    expect(await legacy.calls('changePassword', 'changer@legacy.example')).toBe(1);
    expect(await loginStatus('Legacy', 'changer@legacy.example', 'old password here')).toBe(401);
    expect(await loginStatus('Legacy', 'changer@legacy.example', 'new password here')).toBe('logged in');
    expect(await passwordHashOf(`Legacy|${memberNo}`)).toBeNull();
  });

  it('changes an imported user’s password upstream and in the local hash, which later logins check', async () => {
    await legacy.addMember({ mail: 'migrated@legacy.example', password: 'migrated old password' });
    const { tokens } = await logIn('Legacy-Import', 'migrated@legacy.example', 'migrated old password');
    await admin.users.update.mutate({ id: tokens.claims()!.sub, password: 'migrated new password' });
    expect(await legacy.calls('changePassword', 'migrated@legacy.example')).toBe(1);
    expect(await loginStatus('Legacy-Import', 'migrated@legacy.example', 'migrated old password')).toBe(401);
    expect(await loginStatus('Legacy-Import', 'migrated@legacy.example', 'migrated new password')).toBe('logged in');
    expect(await legacy.calls('login', 'migrated@legacy.example')).toBe(1);
  });

  it('marks the email verified through verify, and the next login keeps it verified', async () => {
    await legacy.addMember({ mail: 'verify@legacy.example', password: 'verify my email' });
    const { tokens } = await logIn('Legacy', 'verify@legacy.example', 'verify my email');
    const userId = tokens.claims()!.sub;
    expect(await admin.users.update.mutate({ id: userId, email_verified: true })).toMatchObject({ email_verified: true });
    expect(await legacy.member('verify@legacy.example')).toMatchObject({ verified: true });
    await logIn('Legacy', 'verify@legacy.example', 'verify my email');
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ email_verified: true });
  });

  it('fails users.update with BAD_GATEWAY when the script fails, and changes nothing', async () => {
    await legacy.addMember({ mail: 'unchanged@legacy.example', password: 'unchanged password' });
    const { tokens } = await logIn('Legacy-Fragile', 'unchanged@legacy.example', 'unchanged password');
    const userId = tokens.claims()!.sub;
    await withLegacyGone('Legacy-Fragile', async () => {
      const error = await errorOf(admin.users.update.mutate({ id: userId, email_verified: true, name: 'Changed Name' }));
      expect(error).toMatchObject({
        code: 'BAD_GATEWAY',
        message: 'the custom database script failed: verify: database "legacy_gone" does not exist',
      });
    });
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ email_verified: false, name: 'unchanged@legacy.example' });
    expect(await legacy.member('unchanged@legacy.example')).toMatchObject({ verified: false });
  });

  it('deletes the member through delete, then the Tessera user', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Legacy',
      email: 'leaving@legacy.example',
      password: 'goodbye password',
    });
    expect(await admin.users.delete.mutate({ id: created.user_id! })).toEqual({ deleted: true });
    expect(await legacy.member('leaving@legacy.example')).toBeUndefined();
    expect(await errorOf(admin.users.get.query({ id: created.user_id! }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await loginStatus('Legacy', 'leaving@legacy.example', 'goodbye password')).toBe(401);
  });

  it('keeps the Tessera user when the script’s delete fails, with BAD_GATEWAY saying why', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Legacy-Fragile',
      email: 'staying@legacy.example',
      password: 'staying password',
    });
    await withLegacyGone('Legacy-Fragile', async () => {
      const error = await errorOf(admin.users.delete.mutate({ id: created.user_id! }));
      expect(error).toMatchObject({
        code: 'BAD_GATEWAY',
        message: 'the custom database script failed: delete: database "legacy_gone" does not exist',
      });
    });
    expect(await admin.users.get.query({ id: created.user_id! })).toMatchObject({ email: 'staying@legacy.example' });
    expect(await legacy.member('staying@legacy.example')).toBeDefined();
    expect(await admin.users.delete.mutate({ id: created.user_id! })).toEqual({ deleted: true });
  });
});
