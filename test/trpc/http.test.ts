import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe('the management API over plain HTTP', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${tessera.issuer}/trpc/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  it('answers a query as GET with ?input= and a mutation as POST with a JSON body', async () => {
    const created = await call('users.create', {
      method: 'POST',
      body: JSON.stringify({ connection: 'Username-Password', email: 'curl@example.com', password: 'a long password' }),
    });
    expect(created.status).toBe(200);
    const { result } = (await created.json()) as { result: { data: { user_id: string } } };
    const got = await call(`users.get?input=${encodeURIComponent(JSON.stringify({ id: result.data.user_id }))}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { result: { data: { email: string } } }).result.data.email).toBe('curl@example.com');
  });

  it('answers batched calls with ?batch=1', async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: { email: 'nobody@example.com' }, 1: { email: 'none@example.com' } }));
    const response = await call(`users.getByEmail,users.getByEmail?batch=1&input=${input}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([{ result: { data: [] } }, { result: { data: [] } }]);
  });

  it('refuses a batch of 51 calls with 400 naming the limit, before running any of them', async () => {
    const paths = Array.from({ length: 51 }, () => 'users.create').join(',');
    const inputs = Object.fromEntries(
      Array.from({ length: 51 }, (_, index) => [
        index,
        { connection: 'Username-Password', email: `batch-${index}@example.com`, password: 'a long password' },
      ]),
    );
    const response = await call(`${paths}?batch=1`, { method: 'POST', body: JSON.stringify(inputs) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: expect.stringContaining('at most 50 calls'), data: { code: 'BAD_REQUEST' } },
    });
    const found = await call(`users.getByEmail?input=${encodeURIComponent(JSON.stringify({ email: 'batch-0@example.com' }))}`);
    expect(((await found.json()) as { result: { data: unknown[] } }).result.data).toEqual([]);
  });

  it('runs a batch of 50 calls', async () => {
    const paths = Array.from({ length: 50 }, () => 'users.getByEmail').join(',');
    const inputs = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [index, { email: `none-${index}@example.com` }]));
    const response = await call(`${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(50);
  });

  it('refuses a body over 100 kB with 413', async () => {
    const response = await call('users.create', {
      method: 'POST',
      body: JSON.stringify({
        connection: 'Username-Password',
        email: 'big@example.com',
        password: 'a long password',
        user_metadata: { blob: 'x'.repeat(120_000) },
      }),
    });
    expect(response.status).toBe(413);
  });

  it('refuses invalid JSON with 400 and no stack trace', async () => {
    const response = await call('users.create', { method: 'POST', body: '{"connection": ' });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });
    expect(body).toMatch(/JSON/);
    expect(body).not.toMatch(/\bat .+:\d+:\d+/);
    expect(body).not.toContain('stack');
  });

  it('answers an unknown procedure with 404', async () => {
    const response = await call('users.nope');
    expect(response.status).toBe(404);
  });

  it('answers a missing token with 401 and a missing scope with 403', async () => {
    const anonymous = await fetch(
      `${tessera.issuer}/trpc/users.getByEmail?input=${encodeURIComponent(JSON.stringify({ email: 'a@b.c' }))}`,
    );
    expect(anonymous.status).toBe(401);
    const limited = await clientCredentialsToken(tessera.issuer, 'read:clients');
    const forbidden = await fetch(
      `${tessera.issuer}/trpc/users.getByEmail?input=${encodeURIComponent(JSON.stringify({ email: 'a@b.c' }))}`,
      {
        headers: { authorization: `Bearer ${limited}` },
      },
    );
    expect(forbidden.status).toBe(403);
    expect(JSON.stringify(await forbidden.json())).toContain('read:users');
  });

  it('refuses a token whose signature does not verify', async () => {
    const forged = `${token.split('.').slice(0, 2).join('.')}.invalidsignature`;
    const response = await fetch(
      `${tessera.issuer}/trpc/users.getByEmail?input=${encodeURIComponent(JSON.stringify({ email: 'a@b.c' }))}`,
      {
        headers: { authorization: `Bearer ${forged}` },
      },
    );
    expect(response.status).toBe(401);
  });
});
