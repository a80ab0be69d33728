import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, clientCredentialsToken } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

describe('the /api/v2 transport: Auth0 errors, limits and the procedures behind it', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    const admin = await adminClient(tessera.issuer);
    userId = String(
      (await admin.users.create.mutate({ connection: 'Username-Password', email: 'rest@example.com', password: 'a long password' }))
        .user_id,
    );
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, init: RequestInit & { bearer?: string | null } = {}) => {
    const { bearer = token, ...rest } = init;
    return fetch(`${tessera.issuer}/api/v2${path}`, {
      ...rest,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(rest.headers as Record<string, string>) },
    });
  };

  it('answers an operation with its procedure’s result and the caller’s rate-limit headers', async () => {
    const response = await call(`/users/${encodeURIComponent(userId)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user_id: userId, email: 'rest@example.com' });
    const limit = Number(response.headers.get('x-ratelimit-limit'));
    const remaining = Number(response.headers.get('x-ratelimit-remaining'));
    expect(limit).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(limit);
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    const next = await call(`/users/${encodeURIComponent(userId)}`);
    expect(Number(next.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
  });

  it('answers a missing token with 401 in Auth0’s error body', async () => {
    const response = await call(`/users/${encodeURIComponent(userId)}`, { bearer: null });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'missing bearer token' });
  });

  it('answers a scope the token lacks with 403 insufficient_scope', async () => {
    const narrow = await clientCredentialsToken(tessera.issuer, 'read:clients');
    const response = await call(`/users/${encodeURIComponent(userId)}`, { bearer: narrow });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ statusCode: 403, error: 'Forbidden', errorCode: 'insufficient_scope' });
  });

  it('refuses a caller without the scope before reading its request: 403, not the 400 its body would earn', async () => {
    const narrow = await clientCredentialsToken(tessera.issuer, 'read:users');
    const response = await call('/users', {
      method: 'POST',
      bearer: narrow,
      headers: { 'content-type': 'application/json' },
      body: '{"not json',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
  });

  it('answers a domain error with its status and Auth0 errorCode', async () => {
    const response = await call(`/users/${encodeURIComponent('database|nobody')}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found', errorCode: 'inexistent_user' });
  });

  it('answers a path that does not parse with invalid_uri', async () => {
    const response = await call('/users/no-bar');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('invalid_uri');
    expect(body.message).toMatch(/^Path validation error: '.*id.*'\.$/);
  });

  it('answers an unknown path with Auth0’s 404', async () => {
    const response = await call('/no-such-thing');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
  });

  it('answers a job that is not there with inexistent_job, from the jobs table any node reads', async () => {
    const response = await call('/jobs/job_nothere');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, errorCode: 'inexistent_job' });
  });

  it('deletes with 204 and no body, through the procedure', async () => {
    const response = await call(`/users/${encodeURIComponent(userId)}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await call(`/users/${encodeURIComponent(userId)}`)).status).toBe(404);
  });
});
