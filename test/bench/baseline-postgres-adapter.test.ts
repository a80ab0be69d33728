import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openBaselinePostgresStore } from '../../bench/baseline-postgres-adapter.js';
import { createTestDatabase } from '../support/databases.js';
import { refresh, runningBaselines, servesTheScenarios } from './baseline-checks.js';

describe('the bare provider over PostgreSQL (bench/baseline-postgres-adapter.ts)', () => {
  const baselines = runningBaselines();
  afterEach(() => baselines.stopAll());

  it('serves the benchmark scenarios from its table, rotates refresh tokens once, and keeps them across a restart', async () => {
    const url = await createTestDatabase();
    const kept = await servesTheScenarios(await baselines.start(openBaselinePostgresStore(url)));

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ model: string }>('SELECT DISTINCT model FROM baseline_payloads ORDER BY model');
      expect(rows.map((row) => row.model)).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken', 'Session']));
    } finally {
      await client.end();
    }

    await baselines.stopLatest();
    expect((await refresh(await baselines.start(openBaselinePostgresStore(url)), kept)).status).toBe(200);
  });
});
