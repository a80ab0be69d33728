/**
 * What users.* and connections.* refuse so a stored profile stays bounded and safe to render:
 * metadata size, depth and NUL characters, picture URLs, and the password floor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, clientCredentialsToken, errorOf } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe('input limits of the management API', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let token: string;
  let emails = 0;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const create = (extra: Record<string, unknown> = {}) =>
    admin.users.create.mutate({
      connection: 'Username-Password',
      email: `limits-${++emails}@example.com`,
      password: 'a long password',
      ...extra,
    });

  /** Over plain HTTP: the client would refuse to send some of these bodies itself. */
  const post = (path: string, body: string) =>
    fetch(`${tessera.issuer}/trpc/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });

  describe('metadata', () => {
    it('accepts 10 levels of user_metadata and refuses 11 with BAD_REQUEST naming the field', async () => {
      const nested = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: true } : { a: nested(levels - 1) });
      await expect(create({ user_metadata: nested(10) })).resolves.toMatchObject({ user_metadata: nested(10) });
      const error = await errorOf(create({ user_metadata: nested(11) }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'user_metadata' });
      expect(error.message).toContain('10 levels');
    });

    it('refuses metadata nested 5,000 levels deep with 400, not a stack overflow', async () => {
      const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
      const response = await post(
        'users.create',
        `{"connection":"Username-Password","email":"deep@example.com","password":"a long password","user_metadata":${deep}}`,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        error: { data: { code: 'BAD_REQUEST', field: expect.stringMatching(/^user_metadata/) } },
      });
    });

    it('refuses app_metadata over 16 kB as JSON with BAD_REQUEST naming the field', async () => {
      const error = await errorOf(create({ app_metadata: { blob: 'x'.repeat(16 * 1024) } }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'app_metadata' });
      expect(error.message).toContain('16384 bytes');
    });

    it('refuses an update whose merge with the stored user_metadata would exceed 16 kB, and keeps the user as it was', async () => {
      const user = await create({ user_metadata: { first: 'x'.repeat(10_000) } });
      const error = await errorOf(admin.users.update.mutate({ id: user.user_id!, user_metadata: { second: 'y'.repeat(10_000) } }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'user_metadata' });
      expect(error.message).toContain('once merged');
      expect((await admin.users.get.query({ id: user.user_id! })).user_metadata).toEqual({ first: 'x'.repeat(10_000) });
      const replaced = await admin.users.update.mutate({ id: user.user_id!, user_metadata: { first: null, second: 'y'.repeat(10_000) } });
      expect(replaced.user_metadata).toEqual({ second: 'y'.repeat(10_000) });
    });

    it('refuses the NUL character in a metadata value or key with BAD_REQUEST naming where', async () => {
      const inValue = await errorOf(create({ user_metadata: { note: 'a\u0000b' } }));
      expect(inValue).toMatchObject({ code: 'BAD_REQUEST', field: 'user_metadata.note' });
      expect(inValue.message).toContain('NUL');
      const inKey = await errorOf(create({ app_metadata: { 'a\u0000': 1 } }));
      expect(inKey).toMatchObject({ code: 'BAD_REQUEST', field: 'app_metadata' });
    });

    it('refuses an unpaired surrogate in a text input or a metadata key with BAD_REQUEST naming where (jsonb cannot hold one)', async () => {
      expect(await errorOf(admin.clients.create.mutate({ name: '\ud800', redirect_uris: ['https://app.example.com/cb'] }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'name',
      });
      expect(await errorOf(create({ user_metadata: { note: 'a\udc00b' } }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'user_metadata.note',
      });
      expect(await errorOf(create({ app_metadata: { '\ud800': 1 } }))).toMatchObject({ code: 'BAD_REQUEST', field: 'app_metadata' });
      expect((await create({ name: 'Emoji \ud83d\ude00 kept' })).name).toBe('Emoji \ud83d\ude00 kept');
    });

    it('refuses the NUL character in any text input, such as a name or an email to look up', async () => {
      expect(await errorOf(create({ name: 'Nul\u0000Name' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'name' });
      expect(await errorOf(admin.users.getByEmail.query({ email: 'a\u0000@example.com' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'email',
      });
      expect(await errorOf(admin.clients.get.query({ client_id: '\u0000' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'client_id' });
      expect(await errorOf(admin.connections.get.query({ id: 'a\u0000' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'id' });
    });
  });

  describe('picture', () => {
    it.each([
      'javascript:alert(document.cookie)',
      'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
      'http://images.example.com/a.png',
      'ftp://example.com/a.png',
    ])('refuses %s with BAD_REQUEST naming picture, on create and update', async (picture) => {
      expect(await errorOf(create({ picture }))).toMatchObject({ code: 'BAD_REQUEST', field: 'picture' });
      const user = await create();
      expect(await errorOf(admin.users.update.mutate({ id: user.user_id!, picture }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'picture',
      });
    });

    it('accepts https anywhere and http on localhost or 127.0.0.1', async () => {
      for (const picture of ['https://images.example.com/a.png', 'http://localhost:8080/a.png', 'http://127.0.0.1/a.png']) {
        await expect(create({ picture })).resolves.toMatchObject({ picture });
      }
    });
  });

  describe('password policy', () => {
    it('refuses a database connection whose min_length is under 8, on create and update, naming the field', async () => {
      const weak = await errorOf(
        admin.connections.create.mutate({ name: 'Weak-Policy', strategy: 'database', options: { password_policy: { min_length: 1 } } }),
      );
      expect(weak).toMatchObject({ code: 'BAD_REQUEST', field: 'options.password_policy.min_length' });
      expect(weak.message).toContain('at least 8');
      const connection = await admin.connections.create.mutate({
        name: 'Floor-Policy',
        strategy: 'database',
        options: { password_policy: { min_length: 8 } },
      });
      const update = await errorOf(admin.connections.update.mutate({ id: connection.id, options: { password_policy: { min_length: 7 } } }));
      expect(update).toMatchObject({ code: 'BAD_REQUEST', field: 'options.password_policy.min_length' });
    });

    it('reads a connection stored before the floor with min_length 1 at 8: it still lists, and a 7-character password is refused', async () => {
      const connection = await admin.connections.create.mutate({ name: 'Old-Policy', strategy: 'database', enabled_clients: [] });
      await tessera.database.sequelize.query(
        `UPDATE connections SET options = jsonb_set(options, '{password_policy,min_length}', '1') WHERE id = $1`,
        { bind: [connection.id] },
      );
      expect((await admin.connections.get.query({ id: connection.id })).options).toMatchObject({ password_policy: { min_length: 8 } });
      const error = await errorOf(
        admin.users.create.mutate({ connection: 'Old-Policy', email: 'old-policy@example.com', password: 'seven77' }),
      );
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'password' });
    });
  });
});
