import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type BaselineStore, openBaselineStore } from '../../bench/baseline-postgres-adapter.js';
import { startBaselineProvider } from '../../bench/baseline-provider.js';
import { issueUserTokens } from '../../bench/login.js';
import { basicAuthorization, type Target } from '../../bench/target.js';
import { createTestDatabase } from '../support/databases.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function refresh(target: Target, refreshToken: string) {
  return fetch(`${target.issuer}/token`, {
    method: 'POST',
    headers: { ...FORM, authorization: basicAuthorization(target.webClient) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

describe('the bare provider over PostgreSQL (bench/baseline-postgres-adapter.ts)', () => {
  const running: Array<{ target: Target; store: BaselineStore }> = [];
  afterEach(async () => {
    for (const { target, store } of running.splice(0)) {
      await target.stop();
      await store.close();
    }
  });

  async function start(url: string) {
    const store = await openBaselineStore(url);
    const target = await startBaselineProvider(store.adapter);
    running.push({ target, store });
    return target;
  }

  it('serves the benchmark scenarios from its table, rotates refresh tokens once, and keeps them across a restart', async () => {
    const url = await createTestDatabase();
    const first = await start(url);
    // Two logins, two grants: the first's refresh token is rotated and reused, the second's is kept for after the restart.
    const { accessToken, refreshTokens } = await issueUserTokens(first, 2);
    const [refreshToken, kept] = refreshTokens;
    if (!refreshToken || !kept) throw new Error('no refresh token');

    const userinfo = await fetch(`${first.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(200);
    const introspection = await fetch(`${first.issuer}/token/introspection`, {
      method: 'POST',
      headers: { ...FORM, authorization: basicAuthorization(first.machineClient) },
      body: new URLSearchParams({ token: accessToken }),
    });
    expect(await introspection.json()).toMatchObject({ active: true });

    const rotated = await refresh(first, refreshToken);
    expect(rotated.status).toBe(200);
    expect((await rotated.json()) as { refresh_token?: string }).toHaveProperty('refresh_token');
    const reused = await refresh(first, refreshToken);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ model: string }>('SELECT DISTINCT model FROM baseline_payloads ORDER BY model');
      expect(rows.map((row) => row.model)).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken', 'Session']));
    } finally {
      await client.end();
    }

    const stopped = running.pop();
    await stopped?.target.stop();
    await stopped?.store.close();
    const second = await start(url);
    expect((await refresh(second, kept)).status).toBe(200);
  });
});
