import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginSubject } from '../../server/abuse/login-subjects.js';
import { RetryLater } from '../../server/abuse/retry-later.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

describe('users.* through createCaller, without HTTP', () => {
  let tessera: CallerTessera;
  let admin: Caller;

  beforeAll(async () => {
    tessera = await openCallerTessera({ env: { BRUTE_FORCE_MAX_ATTEMPTS: '3', SEARCH_EXACT_TOTAL_LIMIT: '5' } });
    admin = tessera.as(MANAGEMENT_SCOPES);
  });
  afterAll(() => tessera?.stop());

  const create = (email: string, extra: Record<string, unknown> = {}) =>
    admin.users.create({ connection: 'Username-Password', email, password: 'a long password', ...extra });

  describe('authorization', () => {
    it('answers a call without a bearer token with UNAUTHORIZED', async () => {
      expect(await callErrorOf(tessera.anonymous().users.get({ id: 'database|x' }))).toMatchObject({
        code: 'UNAUTHORIZED',
        message: 'missing bearer token',
      });
    });

    it.each([
      [
        'create',
        'create:users',
        (c: Caller) => c.users.create({ connection: 'Username-Password', email: 'f@example.com', password: 'a long password' }),
      ],
      ['get', 'read:users', (c: Caller) => c.users.get({ id: 'database|x' })],
      ['list', 'read:users', (c: Caller) => c.users.list({})],
      ['getByEmail', 'read:users', (c: Caller) => c.users.getByEmail({ email: 'x@example.com' })],
      ['update', 'update:users', (c: Caller) => c.users.update({ id: 'database|x', name: 'x' })],
      ['unblock', 'update:users', (c: Caller) => c.users.unblock({ id: 'database|x' })],
      ['delete', 'delete:users', (c: Caller) => c.users.delete({ id: 'database|x' })],
      ['link', 'update:users', (c: Caller) => c.users.link({ id: 'database|x', link_with: 'database|y' })],
      ['unlink', 'update:users', (c: Caller) => c.users.unlink({ id: 'database|x', provider: 'database', user_id: 'y' })],
    ] as const)('refuses users.%s to a caller holding every scope but %s with FORBIDDEN naming it', async (_name, scope, call) => {
      const error = await callErrorOf(call(tessera.allBut(scope)));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(scope);
    });

    it('lets a caller holding only the one scope a procedure needs call it', async () => {
      const user = await create('scoped@example.com');
      await expect(tessera.as(['read:users']).users.get({ id: user.user_id!, fields: ['email'] })).resolves.toEqual({
        email: 'scoped@example.com',
      });
      await expect(tessera.as(['delete:users']).users.delete({ id: user.user_id! })).resolves.toEqual({ deleted: true });
    });
  });

  describe('invalid input', () => {
    it('refuses unknown keys with BAD_REQUEST naming them', async () => {
      const error = await callErrorOf(create('keys@example.com', { favourite_colour: 'blue', shoe_size: 42 }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('favourite_colour');
      expect(error.message).toContain('shoe_size');
    });

    it.each([
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['a weak password', { password: 'short' }, 'password'],
      ['user_metadata nested 11 levels deep', { user_metadata: nested(11) }, 'user_metadata'],
      ['app_metadata over 16 kB as JSON', { app_metadata: { blob: 'x'.repeat(16 * 1024) } }, 'app_metadata'],
      ['a NUL character in a metadata key', { user_metadata: { 'a\u0000b': 1 } }, 'user_metadata'],
    ])('refuses to create a user with %s, with BAD_REQUEST naming %s', async (_what, extra, field) => {
      const error = await callErrorOf(create('invalid@example.com', extra));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field });
      expect(await admin.users.getByEmail({ email: 'invalid@example.com' })).toEqual([]);
    });

    it('accepts user_metadata nested 10 levels deep', async () => {
      await expect(create('deep10@example.com', { user_metadata: nested(10) })).resolves.toMatchObject({ user_metadata: nested(10) });
    });

    it('refuses a user id that is not <provider>|<id> with BAD_REQUEST naming id', async () => {
      expect(await callErrorOf(admin.users.get({ id: 'no-provider' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'id' });
    });

    it('answers an unknown connection with NOT_FOUND', async () => {
      expect((await callErrorOf(create('nowhere@example.com', { connection: 'Nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('create, get, getByEmail', () => {
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
      expect(await admin.users.get({ id: user.user_id! })).toEqual(user);
    });

    it('refuses a duplicate email with CONFLICT, case-insensitively', async () => {
      await create('dup@example.com');
      expect((await callErrorOf(create('DUP@example.com'))).code).toBe('CONFLICT');
    });

    it('returns only the requested fields', async () => {
      const user = await create('fields@example.com', { name: 'Fields' });
      expect(await admin.users.get({ id: user.user_id!, fields: ['email', 'name'] })).toEqual({
        email: 'fields@example.com',
        name: 'Fields',
      });
    });

    it('answers an unknown user with NOT_FOUND', async () => {
      expect((await callErrorOf(admin.users.get({ id: 'database|nope' }))).code).toBe('NOT_FOUND');
    });

    it('finds users by email case-insensitively, and nobody by an unknown email', async () => {
      const user = await create('case@example.com');
      expect((await admin.users.getByEmail({ email: 'CASE@EXAMPLE.COM' })).map((profile) => profile.user_id)).toEqual([user.user_id]);
      expect(await admin.users.getByEmail({ email: 'nobody@example.com' })).toEqual([]);
    });
  });

  describe('update', () => {
    it('replaces root attributes, clears one set to null, and merges metadata at the top level, removing keys set to null', async () => {
      const user = await create('upd@example.com', {
        name: 'Old',
        nickname: 'oldie',
        user_metadata: { a: 1, b: 2, nested: { x: 1, y: 2 } },
        app_metadata: { keep: true },
      });
      const updated = await admin.users.update({
        id: user.user_id!,
        name: 'New',
        nickname: null,
        user_metadata: { b: null, c: 3, nested: { z: 3 } },
      });
      expect(updated.name).toBe('New');
      // Undefined here is what JSON leaves out: over HTTP the cleared attribute is absent.
      expect(updated.nickname).toBeUndefined();
      // Top level only: a nested object given replaces the stored one whole.
      expect(updated.user_metadata).toEqual({ a: 1, c: 3, nested: { z: 3 } });
      expect(updated.app_metadata).toEqual({ keep: true });
      expect(await admin.users.get({ id: user.user_id! })).toEqual(updated);
    });

    it('merges {} as no change, as the contract says, and clears metadata patched with {} only when asked to as Auth0’s PATCH does; me.update never clears', async () => {
      const user = await create('clear@example.com', { user_metadata: { theme: 'dark' }, app_metadata: { plan: 'pro' } });
      const own = tessera.as(['update:current_user_metadata'], { kind: 'user', subject: user.user_id!, clientId: 'tessera-account' });
      expect((await own.me.update({ user_metadata: {} })).user_metadata).toEqual({ theme: 'dark' });
      expect((await admin.users.update({ id: user.user_id!, user_metadata: {} })).user_metadata).toEqual({ theme: 'dark' });
      const cleared = await admin.users.update({ id: user.user_id!, user_metadata: {}, clear_empty_metadata: true });
      expect(cleared.user_metadata).toEqual({});
      expect(cleared.app_metadata).toEqual({ plan: 'pro' });
    });

    it('refuses an update whose merge with the stored user_metadata would exceed 16 kB, and keeps the user as it was', async () => {
      const user = await create('merge-cap@example.com', { user_metadata: { first: 'x'.repeat(10_000) } });
      const error = await callErrorOf(admin.users.update({ id: user.user_id!, user_metadata: { second: 'y'.repeat(10_000) } }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'user_metadata' });
      expect((await admin.users.get({ id: user.user_id! })).user_metadata).toEqual({ first: 'x'.repeat(10_000) });
      const replaced = await admin.users.update({ id: user.user_id!, user_metadata: { first: null, second: 'y'.repeat(10_000) } });
      expect(replaced.user_metadata).toEqual({ second: 'y'.repeat(10_000) });
    });

    it('refuses a new password below the policy with BAD_REQUEST naming password', async () => {
      const user = await create('pw@example.com');
      expect(await callErrorOf(admin.users.update({ id: user.user_id!, password: 'short' }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'password',
      });
    });

    it('answers an unknown user with NOT_FOUND and a taken email with CONFLICT', async () => {
      expect((await callErrorOf(admin.users.update({ id: 'database|nope', name: 'x' }))).code).toBe('NOT_FOUND');
      const a = await create('taken-a@example.com');
      await create('taken-b@example.com');
      expect((await callErrorOf(admin.users.update({ id: a.user_id!, email: 'TAKEN-B@example.com' }))).code).toBe('CONFLICT');
      expect((await admin.users.get({ id: a.user_id! })).email).toBe('taken-a@example.com');
    });
  });

  describe('delete', () => {
    it('deletes the user, after which it is NOT_FOUND to get and to delete', async () => {
      const user = await create('del@example.com');
      expect(await admin.users.delete({ id: user.user_id! })).toEqual({ deleted: true });
      expect((await callErrorOf(admin.users.get({ id: user.user_id! }))).code).toBe('NOT_FOUND');
      expect((await callErrorOf(admin.users.delete({ id: user.user_id! }))).code).toBe('NOT_FOUND');
      expect(await admin.users.getByEmail({ email: 'del@example.com' })).toEqual([]);
    });
  });

  describe('link and unlink', () => {
    it('moves the secondary identity under the primary, leaving the primary root untouched, and restores it on unlink', async () => {
      const primary = await create('primary@example.com', { name: 'Primary', given_name: 'Pri' });
      const secondary = await create('secondary@example.com', { name: 'Secondary', family_name: 'Sec' });
      const identities = await admin.users.link({ id: primary.user_id!, link_with: secondary.user_id! });
      expect(identities).toHaveLength(2);
      expect(identities[0]).toEqual(primary.identities![0]);
      expect(identities[1]).toMatchObject({
        provider: 'database',
        user_id: secondary.user_id!.split('|')[1],
        profileData: { email: 'secondary@example.com', name: 'Secondary', family_name: 'Sec' },
      });
      const linked = await admin.users.get({ id: primary.user_id! });
      expect(linked).toMatchObject({ email: 'primary@example.com', name: 'Primary', given_name: 'Pri' });
      expect(linked.family_name).toBeUndefined();
      expect((await callErrorOf(admin.users.get({ id: secondary.user_id! }))).code).toBe('NOT_FOUND');

      const remaining = await admin.users.unlink({
        id: primary.user_id!,
        provider: 'database',
        user_id: secondary.user_id!.split('|')[1]!,
      });
      expect(remaining).toEqual([primary.identities![0]]);
      const restored = await admin.users.get({ id: secondary.user_id! });
      expect(restored).toMatchObject({ email: 'secondary@example.com', name: 'Secondary', family_name: 'Sec' });
      expect(restored.identities).toHaveLength(1);
    });

    it('refuses to link a user with itself (BAD_REQUEST) or with an unknown user (NOT_FOUND)', async () => {
      const user = await create('self@example.com');
      expect((await callErrorOf(admin.users.link({ id: user.user_id!, link_with: user.user_id! }))).code).toBe('BAD_REQUEST');
      expect((await callErrorOf(admin.users.link({ id: user.user_id!, link_with: 'database|nope' }))).code).toBe('NOT_FOUND');
      expect((await admin.users.get({ id: user.user_id! })).identities).toHaveLength(1);
    });

    it('refuses to unlink the primary identity (BAD_REQUEST) or an identity the user does not have (NOT_FOUND)', async () => {
      const user = await create('solo@example.com');
      const own = user.user_id!.split('|')[1]!;
      expect((await callErrorOf(admin.users.unlink({ id: user.user_id!, provider: 'database', user_id: own }))).code).toBe('BAD_REQUEST');
      expect((await callErrorOf(admin.users.unlink({ id: user.user_id!, provider: 'database', user_id: 'other' }))).code).toBe('NOT_FOUND');
      expect(await admin.users.get({ id: user.user_id! })).toEqual(user);
    });
  });

  describe('unblock', () => {
    it('lifts the brute-force block of the user from every IP, and answers an unknown user with NOT_FOUND', async () => {
      const user = await create('blocked@example.com');
      const connection = await tessera.services.connections.findByName('Username-Password');
      const subject = loginSubject(connection!.id, 'blocked@example.com');
      const attempts = tessera.services.loginAttempts;
      const ips = ['203.0.113.1', '198.51.100.1'];
      for (const ip of ips) {
        for (let attempt = 0; attempt < tessera.services.config.limits.bruteForceMaxAttempts; attempt += 1)
          await (await attempts.begin(subject, ip)).failed();
        await expect(attempts.begin(subject, ip)).rejects.toBeInstanceOf(RetryLater);
      }

      expect(await admin.users.unblock({ id: user.user_id! })).toEqual({ unblocked: true });

      for (const ip of ips) await (await attempts.begin(subject, ip)).succeeded();
      expect((await callErrorOf(admin.users.unblock({ id: 'database|nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('list', () => {
    const q = 'app_metadata.batch:listed';
    const ids: string[] = [];

    beforeAll(async () => {
      for (const [index, name] of ['Alice Smith', 'alan Jones', 'Bob Stone', 'Carol White', 'Dave Smith'].entries()) {
        const user = await create(`${name.split(' ')[0]!.toLowerCase()}@list.example`, {
          name,
          user_metadata: { plan: index % 2 ? 'pro' : 'free' },
          app_metadata: { batch: 'listed', tier: index },
        });
        ids.push(user.user_id!);
      }
    });

    it('finds users by a Lucene-like q over root attributes and metadata', async () => {
      const byPrefix = await admin.users.list({ q: `${q} AND name:al*`, sort: 'email:1' });
      expect(byPrefix.users.map((user) => user.email)).toEqual(['alan@list.example', 'alice@list.example']);
      const byMetadata = await admin.users.list({ q: `${q} AND user_metadata.plan:pro AND NOT name:"carol white"` });
      expect(byMetadata.users.map((user) => user.email)).toEqual(['alan@list.example']);
    });

    it('pages with page/per_page/include_totals and returns only the requested fields', async () => {
      const page = await admin.users.list({ q, per_page: 2, page: 1, include_totals: true, sort: 'email:1', fields: ['email'] });
      expect(page).toEqual({
        users: [{ email: 'bob@list.example' }, { email: 'carol@list.example' }],
        start: 2,
        limit: 2,
        length: 2,
        total: 5,
      });
    });

    it('marks a total past SEARCH_EXACT_TOTAL_LIMIT as an estimate, never below the users it counted', async () => {
      for (let index = 0; index < 6; index += 1) await create(`estimated${index}@list.example`, { app_metadata: { batch: 'estimated' } });
      const page = await admin.users.list({ q: 'app_metadata.batch:estimated', per_page: 2, include_totals: true });
      expect(page).toMatchObject({ length: 2, total_estimated: true });
      expect('total' in page && page.total).toBeGreaterThanOrEqual(6);
    });

    it('pages through every user with checkpoints, each full page carrying next and the last page none', async () => {
      const pages: Array<{ users: Array<{ user_id?: string }>; next?: string }> = [];
      let from: string | undefined;
      do {
        const page: { users: Array<{ user_id?: string }>; next?: string } = await admin.users.list({
          q,
          take: 2,
          ...(from ? { from } : {}),
        });
        pages.push(page);
        from = page.next;
      } while (from && pages.length < 10);
      expect(pages.map((page) => page.users.length)).toEqual([2, 2, 1]);
      expect(pages.map((page) => 'next' in page)).toEqual([true, true, false]);
      expect(pages.flatMap((page) => page.users.map((user) => user.user_id))).toEqual(ids);
    });

    it('answers a malformed query with BAD_REQUEST naming q and saying where', async () => {
      const error = await callErrorOf(admin.users.list({ q: 'name:(alice' }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'q' });
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
      expect(await callErrorOf(admin.users.list(input as never))).toMatchObject({ code: 'BAD_REQUEST', field });
    });

    it('answers an unknown key with BAD_REQUEST naming it', async () => {
      const error = await callErrorOf(admin.users.list({ favourite: 'blue' } as never));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('favourite');
    });
  });
});

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level += 1) value = { child: value };
  return value;
}
