/**
 * A node keeps the refresh tokens it writes in memory, for the next refresh: that refresh runs
 * one statement, the write that also consumes the token. Neither that consume nor another
 * node's passes through the memo, so the copy is served to the token request alone, whose write
 * checks the token in PostgreSQL: a copy gone stale reads as spent everywhere and yields no token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { payloadStatementsDuring } from '../support/pg-statements.js';
import { discover, login } from '../support/relying-party.js';
import { startNodes, type TestTessera } from '../support/tessera.js';
import { refresh, refreshTokenActive, revokeRefreshToken } from '../support/token-requests.js';

describe.each([
  ['PostgreSQL only', false],
  ['Redis', true],
] as const)('a refresh token kept by the node that wrote it, two nodes with %s', (_name, redis) => {
  let here: TestTessera;
  let there: TestTessera;

  beforeAll(async () => {
    [here, there] = (await startNodes(redis, 2)) as [TestTessera, TestTessera];
  });
  afterAll(async () => {
    await here?.stop();
    await there?.stop();
  });

  /** A login through this node: the code exchange wrote the refresh token here. */
  async function loggedIn() {
    const client = await createClient(here);
    const user = await createUser(here);
    const config = await discover(here.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    return { client, refreshToken: tokens.refresh_token ?? '' };
  }

  it('is read from memory by the next refresh on that node: the refresh runs one statement', async () => {
    const { client, refreshToken } = await loggedIn();
    let status = 0;
    const statements = await payloadStatementsDuring(async () => {
      status = (await refresh(here.url, client, refreshToken)).status;
    });
    expect(status).toBe(200);
    expect(statements).toBe(1);
  });

  it('is served to no other request: spent on the other node, it introspects as spent here, and its reuse here revokes the grant', async () => {
    const { client, refreshToken } = await loggedIn();
    const kept = (await refresh(here.url, client, refreshToken)).body.refresh_token ?? '';
    const next = (await refresh(there.url, client, kept)).body.refresh_token ?? '';
    expect(next).not.toBe('');

    expect(await refreshTokenActive(here.url, client, kept)).toBe(false);
    expect(await refreshTokenActive(here.url, client, next)).toBe(true);

    expect((await refresh(here.url, client, kept)).body.error).toBe('invalid_grant');
    expect((await refresh(there.url, client, next)).body.error).toBe('invalid_grant');
    expect(await refreshTokenActive(here.url, client, next)).toBe(false);
  });

  it('yields no token once revoked on the other node', async () => {
    const { client, refreshToken } = await loggedIn();
    const kept = (await refresh(here.url, client, refreshToken)).body.refresh_token ?? '';
    expect(await revokeRefreshToken(there.url, client, kept)).toBe(200);

    const answer = await refresh(here.url, client, kept);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_grant' });
    expect(answer.body).not.toHaveProperty('access_token');
  });
});
