import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe('users.* over a real @trpc/client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const create = (email: string, extra: Record<string, unknown> = {}) =>
    admin.users.create.mutate({ connection: 'Username-Password', email, password: 'a long password', ...extra });

  describe('create', () => {
    it('creates a database user and returns its profile in the documented shape', async () => {
      const user = await create('Ann@Example.com', { name: 'Ann', user_metadata: { theme: 'dark' }, app_metadata: { plan: 'pro' } });
      expect(user).toMatchObject({
        email: 'ann@example.com',
        email_verified: false,
        name: 'Ann',
        user_metadata: { theme: 'dark' },
        app_metadata: { plan: 'pro' },
        logins_count: 0,
        blocked: false,
        identities: [{ connection: 'Username-Password', provider: 'database', isSocial: false }],
      });
      expect(user.user_id).toMatch(/^database\|[0-9a-f]+$/);
      expect(user.identities?.[0]?.user_id).toBe(user.user_id?.split('|')[1]);
      expect(Date.parse(user.created_at!)).not.toBeNaN();
    });

    it('rejects a duplicate email with CONFLICT, case-insensitively', async () => {
      await create('dup@example.com');
      expect((await errorOf(create('DUP@example.com'))).code).toBe('CONFLICT');
    });

    it('rejects a weak password with BAD_REQUEST naming password', async () => {
      const error = await errorOf(create('weak@example.com', { password: 'short' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/password/);
      expect(error.field).toBe('password');
    });

    it('rejects unknown keys with BAD_REQUEST naming them', async () => {
      const error = await errorOf(create('keys@example.com', { favourite_colour: 'blue' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/favourite_colour/);
    });

    it('rejects an invalid email with BAD_REQUEST naming the field', async () => {
      const error = await errorOf(create('not-an-email'));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.field).toBe('email');
    });

    it('answers an unknown connection with NOT_FOUND', async () => {
      expect((await errorOf(create('x@example.com', { connection: 'Nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('get, getByEmail', () => {
    it('returns only the requested fields', async () => {
      const user = await create('fields@example.com', { name: 'Fields' });
      expect(await admin.users.get.query({ id: user.user_id!, fields: ['email', 'name'] })).toEqual({
        email: 'fields@example.com',
        name: 'Fields',
      });
    });

    it('answers an unknown user with NOT_FOUND', async () => {
      expect((await errorOf(admin.users.get.query({ id: 'database|nope' }))).code).toBe('NOT_FOUND');
    });

    it('finds users by email case-insensitively', async () => {
      const user = await create('case@example.com');
      const found = await admin.users.getByEmail.query({ email: 'CASE@EXAMPLE.COM' });
      expect(found.map((profile) => profile.user_id)).toEqual([user.user_id]);
      expect(await admin.users.getByEmail.query({ email: 'nobody@example.com' })).toEqual([]);
    });
  });

  describe('update', () => {
    it('replaces root attributes and merges metadata, removing keys set to null', async () => {
      const user = await create('upd@example.com', { name: 'Old', user_metadata: { a: 1, b: 2 }, app_metadata: { keep: true } });
      const updated = await admin.users.update.mutate({
        id: user.user_id!,
        name: 'New',
        nickname: null,
        user_metadata: { b: null, c: { nested: true } },
      });
      expect(updated.name).toBe('New');
      expect(updated).not.toHaveProperty('nickname');
      expect(updated.user_metadata).toEqual({ a: 1, c: { nested: true } });
      expect(updated.app_metadata).toEqual({ keep: true });
      expect(Date.parse(updated.updated_at!)).toBeGreaterThanOrEqual(Date.parse(user.updated_at!));
    });

    it('keeps both of two concurrent updates of different metadata keys', async () => {
      const user = await create('race@example.com');
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => admin.users.update.mutate({ id: user.user_id!, user_metadata: { [`k${index}`]: index } })),
      );
      const after = await admin.users.get.query({ id: user.user_id! });
      expect(after.user_metadata).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`k${index}`, index])));
    });

    it('answers an unknown user with NOT_FOUND and a taken email with CONFLICT', async () => {
      expect((await errorOf(admin.users.update.mutate({ id: 'database|nope', name: 'x' }))).code).toBe('NOT_FOUND');
      const a = await create('taken-a@example.com');
      await create('taken-b@example.com');
      expect((await errorOf(admin.users.update.mutate({ id: a.user_id!, email: 'taken-b@example.com' }))).code).toBe('CONFLICT');
    });

    it('enforces the password policy on a new password', async () => {
      const user = await create('pw@example.com');
      const error = await errorOf(admin.users.update.mutate({ id: user.user_id!, password: 'short' }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'password' });
    });
  });

  describe('delete', () => {
    it('deletes the user', async () => {
      const user = await create('del@example.com');
      expect(await admin.users.delete.mutate({ id: user.user_id! })).toEqual({ deleted: true });
      expect((await errorOf(admin.users.get.query({ id: user.user_id! }))).code).toBe('NOT_FOUND');
      expect((await errorOf(admin.users.delete.mutate({ id: user.user_id! }))).code).toBe('NOT_FOUND');
    });
  });

  describe('link and unlink', () => {
    it('moves the secondary identity under the primary, leaving the primary root untouched, and restores it on unlink', async () => {
      const primary = await create('primary@example.com', { name: 'Primary', given_name: 'Pri' });
      const secondary = await create('secondary@example.com', { name: 'Secondary', family_name: 'Sec' });
      const identities = await admin.users.link.mutate({ id: primary.user_id!, link_with: secondary.user_id! });
      expect(identities).toHaveLength(2);
      expect(identities[0]).toEqual(primary.identities![0]);
      expect(identities[1]).toMatchObject({
        provider: 'database',
        user_id: secondary.user_id!.split('|')[1],
        profileData: { email: 'secondary@example.com', name: 'Secondary', family_name: 'Sec' },
      });
      const after = await admin.users.get.query({ id: primary.user_id! });
      expect(after).toMatchObject({ email: 'primary@example.com', name: 'Primary', given_name: 'Pri' });
      expect(after).not.toHaveProperty('family_name');
      expect((await errorOf(admin.users.get.query({ id: secondary.user_id! }))).code).toBe('NOT_FOUND');

      const remaining = await admin.users.unlink.mutate({
        id: primary.user_id!,
        provider: 'database',
        user_id: secondary.user_id!.split('|')[1]!,
      });
      expect(remaining).toEqual([primary.identities![0]]);
      const restored = await admin.users.get.query({ id: secondary.user_id! });
      expect(restored).toMatchObject({ email: 'secondary@example.com', name: 'Secondary', family_name: 'Sec' });
      expect(restored.identities).toHaveLength(1);
    });

    it('refuses to unlink the primary identity or an identity the user does not have', async () => {
      const user = await create('solo@example.com');
      const own = user.user_id!.split('|')[1]!;
      expect((await errorOf(admin.users.unlink.mutate({ id: user.user_id!, provider: 'database', user_id: own }))).code).toBe(
        'BAD_REQUEST',
      );
      expect((await errorOf(admin.users.unlink.mutate({ id: user.user_id!, provider: 'database', user_id: 'other' }))).code).toBe(
        'NOT_FOUND',
      );
    });

    it('refuses to link a user with itself or with an unknown user', async () => {
      const user = await create('self@example.com');
      expect((await errorOf(admin.users.link.mutate({ id: user.user_id!, link_with: user.user_id! }))).code).toBe('BAD_REQUEST');
      expect((await errorOf(admin.users.link.mutate({ id: user.user_id!, link_with: 'database|nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('authorization', () => {
    it('answers a missing or invalid token with UNAUTHORIZED', async () => {
      expect((await errorOf(managementClient(tessera.issuer, undefined).users.get.query({ id: 'database|x' }))).code).toBe('UNAUTHORIZED');
      expect((await errorOf(managementClient(tessera.issuer, 'garbage').users.get.query({ id: 'database|x' }))).code).toBe('UNAUTHORIZED');
    });

    it.each([
      [
        'create',
        'create:users',
        (c: Awaited<ReturnType<typeof adminClient>>) =>
          c.users.create.mutate({ connection: 'Username-Password', email: 'f@example.com', password: 'a long password' }),
      ],
      ['get', 'read:users', (c: Awaited<ReturnType<typeof adminClient>>) => c.users.get.query({ id: 'database|x' })],
      ['getByEmail', 'read:users', (c: Awaited<ReturnType<typeof adminClient>>) => c.users.getByEmail.query({ email: 'x@example.com' })],
      ['update', 'update:users', (c: Awaited<ReturnType<typeof adminClient>>) => c.users.update.mutate({ id: 'database|x', name: 'x' })],
      ['delete', 'delete:users', (c: Awaited<ReturnType<typeof adminClient>>) => c.users.delete.mutate({ id: 'database|x' })],
      [
        'link',
        'update:users',
        (c: Awaited<ReturnType<typeof adminClient>>) => c.users.link.mutate({ id: 'database|x', link_with: 'database|y' }),
      ],
      [
        'unlink',
        'update:users',
        (c: Awaited<ReturnType<typeof adminClient>>) => c.users.unlink.mutate({ id: 'database|x', provider: 'database', user_id: 'y' }),
      ],
    ])('refuses users.%s without %s with FORBIDDEN naming the scope', async (_name, scope, call) => {
      const limited = await adminClient(tessera.issuer, 'read:clients');
      const error = await errorOf(call(limited));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });
  });
});

describe('users.list over a real @trpc/client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  const ids: string[] = [];

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    for (const [index, name] of ['Alice Smith', 'alan Jones', 'Bob Stone', 'Carol White', 'Dave Smith'].entries()) {
      const user = await admin.users.create.mutate({
        connection: 'Username-Password',
        email: `${name.split(' ')[0]!.toLowerCase()}@example.com`,
        password: 'a long password',
        name,
        user_metadata: { plan: index % 2 ? 'pro' : 'free', seats: index },
        app_metadata: { tier: index },
      });
      ids.push(user.user_id!);
    }
  });
  afterAll(() => tessera?.stop());

  it('finds users by a Lucene-like q over root attributes and metadata', async () => {
    const byPrefix = await admin.users.list.query({ q: 'name:al*', sort: 'email:1' });
    expect(byPrefix.users.map((user) => user.email)).toEqual(['alan@example.com', 'alice@example.com']);
    const byMetadata = await admin.users.list.query({ q: 'user_metadata.plan:pro AND NOT name:"carol white"' });
    expect(byMetadata.users.map((user) => user.email)).toEqual(['alan@example.com']);
    const byIdentity = await admin.users.list.query({
      q: 'identities.connection:"Username-Password" AND app_metadata.tier:[3 TO *]',
      sort: 'email:-1',
    });
    expect(byIdentity.users.map((user) => user.email)).toEqual(['dave@example.com', 'carol@example.com']);
  });

  it('pages with page/per_page/include_totals and returns only the requested fields', async () => {
    const page = await admin.users.list.query({ per_page: 2, page: 1, include_totals: true, sort: 'email:1', fields: ['email'] });
    expect(page).toEqual({
      users: [{ email: 'bob@example.com' }, { email: 'carol@example.com' }],
      start: 2,
      limit: 2,
      length: 2,
      total: 5,
    });
  });

  it('pages through every user with checkpoints, omitting next on the last page', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let round = 0; round < 10; round += 1) {
      const page: { users: Array<{ user_id?: string }>; next?: string } = await admin.users.list.query({
        take: 2,
        ...(from ? { from } : {}),
      });
      seen.push(...page.users.map((user) => user.user_id!));
      if (!page.next) break;
      expect(page.users).toHaveLength(2);
      from = page.next;
    }
    expect(seen).toEqual(ids);
  });

  it('answers a malformed query with BAD_REQUEST saying where', async () => {
    const error = await errorOf(admin.users.list.query({ q: 'name:(alice' }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.field).toBe('q');
    expect(error.message).toMatch(/column \d+/);
  });

  it.each([
    [{ per_page: 101 }, 'per_page'],
    [{ take: 101 }, 'take'],
    [{ from: 'garbage' }, 'from'],
    [{ take: 5, page: 1 }, 'page'],
    [{ q: 'favourite:blue' }, 'q'],
    [{ sort: 'password:1' }, 'sort'],
    [{ q: 'x'.repeat(5000) }, 'q'],
  ])('answers %o with BAD_REQUEST naming %s', async (input, field) => {
    const error = await errorOf(admin.users.list.query(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.field).toBe(field);
  });

  it('refuses users.list without read:users', async () => {
    const limited = await adminClient(tessera.issuer, 'create:users');
    const error = await errorOf(limited.users.list.query({}));
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    expect(error.message).toContain('read:users');
  });
});
