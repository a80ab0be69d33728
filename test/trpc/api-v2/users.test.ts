/**
 * /api/v2/users and /users-by-email in Auth0's shapes, over plain HTTP against a real Tessera:
 * search with totals, sort and field selection, create (201, the verification message Auth0
 * sends), update with Auth0's metadata merge, link and unlink answering identity arrays, and
 * Auth0's error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../../server/clients/bootstrap.js';
import type { HttpMethod } from '../../../trpc/api-v2/operation.js';
import { API_V2_OPERATIONS } from '../../../trpc/api-v2/operations/index.js';
import { callApiV2 } from '../../support/api-v2.js';
import { adminClient, clientCredentialsToken } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

type Json = Record<string, unknown>;

/** The answer is what the operation documents in the OpenAPI document. */
function expectDocumented(method: HttpMethod, path: string, body: unknown): void {
  const documented = API_V2_OPERATIONS.find((op) => op.method === method && op.path === path)?.response;
  if (!documented) throw new Error(`no documented answer for ${method} ${path}`);
  expect(documented.safeParse(body).error).toBeUndefined();
}

describe('the /api/v2 user operations', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let token: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    admin = await adminClient(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, { bearer = token, ...init }: { method?: string; body?: unknown; bearer?: string } = {}) =>
    callApiV2(tessera.issuer, bearer, path, init);
  const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

  let counter = 0;
  async function createUser(extra: Json = {}) {
    counter += 1;
    const email = `rest-${counter}@example.com`;
    const created = await call('/users', {
      method: 'POST',
      body: { connection: DEFAULT_DATABASE_CONNECTION, email, password: 'a long password', verify_email: false, ...extra },
    });
    expect(created.status).toBe(201);
    return { ...(created.body as Json), email } as Json & { user_id: string; email: string };
  }

  describe('GET /users', () => {
    let team: string;
    beforeAll(async () => {
      team = 'search-team';
      for (const name of ['Carol', 'Alice', 'Bob']) await createUser({ name, app_metadata: { team } });
    });

    it('answers {start, limit, length, total, users} with include_totals, sorted as asked', async () => {
      const { status, body } = await call(
        `/users?${new URLSearchParams({ q: `app_metadata.team:${team}`, search_engine: 'v3', include_totals: 'true', sort: 'name:1', per_page: '2', page: '0' })}`,
      );
      expect(status).toBe(200);
      const page = body as { start: number; limit: number; length: number; total: number; users: Json[] };
      expect(page).toMatchObject({ start: 0, limit: 2, length: 2, total: 3 });
      expect(page.users.map((user) => user['name'])).toEqual(['Alice', 'Bob']);
      expectDocumented('get', '/users', body);
      const next = await call(
        `/users?${new URLSearchParams({ q: `app_metadata.team:${team}`, include_totals: 'true', sort: 'name:1', per_page: '2', page: '1' })}`,
      );
      expect(next.body).toMatchObject({ start: 2, limit: 2, length: 1, total: 3, users: [{ name: 'Carol' }] });
    });

    it('answers a bare array without include_totals, and reads search_engine v2 as v3', async () => {
      const { status, body } = await call(
        `/users?${new URLSearchParams({ q: `app_metadata.team:${team}`, search_engine: 'v2', sort: 'name:-1' })}`,
      );
      expect(status).toBe(200);
      expect(Array.isArray(body)).toBe(true);
      expect((body as Json[]).map((user) => user['name'])).toEqual(['Carol', 'Bob', 'Alice']);
      expectDocumented('get', '/users', body);
    });

    it('returns only the named fields, or every field but them with include_fields=false', async () => {
      const q = `app_metadata.team:${team}`;
      const only = await call(`/users?${new URLSearchParams({ q, fields: 'user_id,name,no_such_field', sort: 'name:1' })}`);
      expect(only.status).toBe(200);
      for (const user of only.body as Json[]) expect(Object.keys(user).sort()).toEqual(['name', 'user_id']);
      const without = await call(`/users?${new URLSearchParams({ q, fields: 'identities,app_metadata', include_fields: 'false' })}`);
      const [first] = without.body as Json[];
      expect(first).toHaveProperty('user_id');
      expect(first).toHaveProperty('email');
      expect(first).not.toHaveProperty('identities');
      expect(first).not.toHaveProperty('app_metadata');
    });

    it('narrows to a connection', async () => {
      const { body } = await call(`/users?${new URLSearchParams({ q: `app_metadata.team:${team}`, connection: 'no-such-connection' })}`);
      expect(body).toEqual([]);
      const held = await call(`/users?${new URLSearchParams({ q: `app_metadata.team:${team}`, connection: DEFAULT_DATABASE_CONNECTION })}`);
      expect(held.body).toHaveLength(3);
    });

    it('refuses search_engine v1, a malformed q, a bad sort and unknown parameters with invalid_query_string', async () => {
      for (const query of [
        { search_engine: 'v1' },
        { q: 'name:(unclosed' },
        { sort: 'name' },
        { per_page: '101' },
        { fields: 'no_such_field' },
        { something: 'else' },
      ]) {
        const { status, body } = await call(`/users?${new URLSearchParams(query)}`);
        expect(status, JSON.stringify(query)).toBe(400);
        expect(body, JSON.stringify(query)).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_query_string' });
      }
    });

    it('answers 403 insufficient_scope to a token without read:users', async () => {
      const narrow = await clientCredentialsToken(tessera.issuer, 'update:users');
      const { status, body } = await call('/users', { bearer: narrow });
      expect(status).toBe(403);
      expect(body).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
    });
  });

  describe('POST /users', () => {
    it('answers 201 with the user, and queues the verification message unless verify_email is false', async () => {
      const verified = await call('/users', {
        method: 'POST',
        body: {
          connection: DEFAULT_DATABASE_CONNECTION,
          email: 'Verify.Me@example.com',
          password: 'a long password',
          user_metadata: { a: 1 },
        },
      });
      expect(verified.status).toBe(201);
      const user = verified.body as { user_id: string };
      expectDocumented('post', '/users', verified.body);
      expect(verified.body).toMatchObject({
        email: 'verify.me@example.com',
        email_verified: false,
        user_metadata: { a: 1 },
        identities: [{ connection: DEFAULT_DATABASE_CONNECTION }],
      });
      expect((await admin.users.mail.query({ id: user.user_id })).map((message) => message.kind)).toEqual(['verify_email']);

      const quiet = await createUser();
      expect(await admin.users.mail.query({ id: quiet.user_id })).toEqual([]);
    });

    it('refuses a body with keys Tessera cannot honour, and an existing user, in Auth0’s codes', async () => {
      const refused = await call('/users', {
        method: 'POST',
        body: { connection: DEFAULT_DATABASE_CONNECTION, email: 'own-id@example.com', password: 'a long password', user_id: 'chosen' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        errorCode: 'invalid_body',
        message: expect.stringMatching(/^Payload validation error: '.*user_id.*'\.$/),
      });
      const existing = await createUser();
      const again = await call('/users', {
        method: 'POST',
        body: { connection: DEFAULT_DATABASE_CONNECTION, email: existing.email, password: 'a long password' },
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ statusCode: 409, errorCode: 'auth0_idp_error' });
    });
  });

  describe('GET, PATCH and DELETE /users/{id}', () => {
    it('gets a user with the fields asked for', async () => {
      const user = await createUser({ name: 'Fields' });
      const all = await call(userPath(user.user_id));
      expect(all.body).toMatchObject({ user_id: user.user_id, name: 'Fields', identities: [expect.any(Object)] });
      const some = await call(`${userPath(user.user_id)}?fields=email,name`);
      expect(some.body).toEqual({ email: user.email, name: 'Fields' });
      expectDocumented('get', '/users/{id}', some.body);
      const without = await call(`${userPath(user.user_id)}?fields=identities&include_fields=false`);
      expect(without.body).toMatchObject({ user_id: user.user_id });
      expect(without.body).not.toHaveProperty('identities');
    });

    it('merges metadata at the top level: null deletes a key, {} clears it; root fields are replaced or cleared with null', async () => {
      const user = await createUser({
        name: 'Merge',
        nickname: 'merge',
        user_metadata: { keep: 1, drop: 2, nested: { a: 1 } },
        app_metadata: { plan: 'pro' },
      });
      const patched = await call(userPath(user.user_id), {
        method: 'PATCH',
        body: { user_metadata: { drop: null, nested: { b: 2 }, added: true }, app_metadata: {}, nickname: null, given_name: 'Given' },
      });
      expect(patched.status).toBe(200);
      expectDocumented('patch', '/users/{id}', patched.body);
      expect(patched.body).toMatchObject({
        user_metadata: { keep: 1, nested: { b: 2 }, added: true },
        app_metadata: {},
        given_name: 'Given',
        name: 'Merge',
      });
      expect((patched.body as Json)['user_metadata']).not.toHaveProperty('drop');
      expect((patched.body as Json)['app_metadata']).toEqual({});
      expect(patched.body).not.toHaveProperty('nickname');
      const read = await call(userPath(user.user_id));
      expect(read.body).toMatchObject({ user_metadata: { keep: 1, nested: { b: 2 }, added: true } });
      expect((read.body as Json)['app_metadata']).toEqual({});
    });

    it('sends the verification message on PATCH with verify_email true, and none for a new address with verify_email false', async () => {
      const user = await createUser();
      await call(userPath(user.user_id), { method: 'PATCH', body: { email: `moved-${user.email}`, verify_email: false } });
      expect(await admin.users.mail.query({ id: user.user_id })).toEqual([]);
      const again = await call(userPath(user.user_id), { method: 'PATCH', body: { verify_email: true } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ email: `moved-${user.email}`, email_verified: false });
      expect((await admin.users.mail.query({ id: user.user_id })).map((message) => message.kind)).toEqual(['verify_email']);
    });

    it('takes connection naming the user’s own identity’s, as Auth0 scripts send it with a new password', async () => {
      const user = await createUser();
      const changed = await call(userPath(user.user_id), {
        method: 'PATCH',
        body: { connection: DEFAULT_DATABASE_CONNECTION, password: 'a new long password' },
      });
      expect(changed.status).toBe(200);
      const other = await call(userPath(user.user_id), { method: 'PATCH', body: { connection: 'other', password: 'a new long password' } });
      expect(other).toMatchObject({
        status: 400,
        body: { errorCode: 'invalid_body', message: expect.stringContaining(DEFAULT_DATABASE_CONNECTION) },
      });
    });

    it('refuses an update key Tessera cannot honour with invalid_body, and an unknown user with inexistent_user', async () => {
      const user = await createUser();
      const refused = await call(userPath(user.user_id), { method: 'PATCH', body: { client_id: 'some-app', email: `new-${user.email}` } });
      expect(refused).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
      const missing = await call(userPath('database|nobody-here'), { method: 'PATCH', body: { name: 'x' } });
      expect(missing).toMatchObject({ status: 404, body: { statusCode: 404, errorCode: 'inexistent_user' } });
    });

    it('deletes with 204, after which the user is inexistent', async () => {
      const user = await createUser();
      expect(await call(userPath(user.user_id), { method: 'DELETE' })).toEqual({ status: 204, body: undefined });
      expect(await call(userPath(user.user_id))).toMatchObject({ status: 404, body: { errorCode: 'inexistent_user' } });
    });
  });

  describe('GET /users-by-email', () => {
    it('finds the users of an address, with the fields asked for', async () => {
      const user = await createUser({ name: 'By Email' });
      const { status, body } = await call(`/users-by-email?${new URLSearchParams({ email: user.email, fields: 'user_id,name' })}`);
      expect(status).toBe(200);
      expect(body).toEqual([{ user_id: user.user_id, name: 'By Email' }]);
      expectDocumented('get', '/users-by-email', body);
      expect((await call(`/users-by-email?${new URLSearchParams({ email: 'nobody@example.com' })}`)).body).toEqual([]);
      expect(await call('/users-by-email')).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
    });
  });

  describe('identities', () => {
    it('links with {provider, user_id} answering 201 and the primary’s identities, and unlinks answering those that remain', async () => {
      const primary = await createUser({ name: 'Primary' });
      const secondary = await createUser({ name: 'Secondary' });
      const bar = secondary.user_id.indexOf('|');
      const provider = secondary.user_id.slice(0, bar);
      const externalId = secondary.user_id.slice(bar + 1);

      const linked = await call(`${userPath(primary.user_id)}/identities`, { method: 'POST', body: { provider, user_id: externalId } });
      expect(linked.status).toBe(201);
      expectDocumented('post', '/users/{id}/identities', linked.body);
      const identities = linked.body as Json[];
      expect(identities).toHaveLength(2);
      expect(identities[1]).toMatchObject({ provider, user_id: externalId, connection: DEFAULT_DATABASE_CONNECTION, isSocial: false });
      expect(await call(userPath(secondary.user_id))).toMatchObject({ status: 404 });

      const unlinked = await call(
        `${userPath(primary.user_id)}/identities/${encodeURIComponent(provider)}/${encodeURIComponent(externalId)}`,
        {
          method: 'DELETE',
        },
      );
      expect(unlinked.status).toBe(200);
      expectDocumented('delete', '/users/{id}/identities/{provider}/{user_id}', unlinked.body);
      expect(unlinked.body).toHaveLength(1);
      expect((unlinked.body as Json[])[0]).toMatchObject({ provider, user_id: primary.user_id.slice(bar + 1) });
      expect(await call(userPath(secondary.user_id))).toMatchObject({ status: 200, body: { name: 'Secondary' } });
    });

    it('refuses link_with and an unknown secondary in Auth0’s codes', async () => {
      const primary = await createUser();
      const jwt = await call(`${userPath(primary.user_id)}/identities`, { method: 'POST', body: { link_with: 'eyJ.e30.sig' } });
      expect(jwt).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
      const missing = await call(`${userPath(primary.user_id)}/identities`, {
        method: 'POST',
        body: { provider: 'database', user_id: 'nobody-here' },
      });
      expect(missing).toMatchObject({ status: 404, body: { errorCode: 'inexistent_user' } });
    });
  });
});
