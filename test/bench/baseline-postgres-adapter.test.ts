import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openBaselinePostgresStore } from '../../bench/baseline-postgres-adapter.js';
import { type BaselineStore, startBaselineProvider } from '../../bench/baseline-provider.js';
import type { Target } from '../../bench/target.js';
import { createTestDatabase } from '../support/databases.js';
import { refresh, servesTheScenarios } from './baseline-checks.js';

describe('the bare provider over PostgreSQL (bench/baseline-postgres-adapter.ts)', () => {
  const running: Array<{ target: Target; store: BaselineStore }> = [];
  afterEach(async () => {
    for (const { target, store } of running.splice(0)) {
      await target.stop();
      await store.close();
    }
  });

  async function start(url: string) {
    const store = await openBaselinePostgresStore(url);
    const target = await startBaselineProvider(store.adapter);
    running.push({ target, store });
    return target;
  }

  it('serves the benchmark scenarios from its table, rotates refresh tokens once, and keeps them across a restart', async () => {
    const url = await createTestDatabase();
    const kept = await servesTheScenarios(await start(url));

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
    expect((await refresh(await start(url), kept)).status).toBe(200);
  });
});
