/**
 * Migration 0015: database connections made before sign-up existed stay closed to it after an
 * upgrade; one that says either way keeps what it says, and a new one (and a fresh install's
 * default) takes sign-ups.
 */
import { QueryTypes } from 'sequelize';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { createConnectionInput } from '../../server/connections/connection-schemas.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

const running: TestTessera[] = [];
afterAll(async () => {
  for (const tessera of running) await tessera.stop();
});

async function disableSignup(tessera: TestTessera, name: string) {
  const [row] = await tessera.database.sequelize.query<{ value: unknown }>(
    `SELECT options->'disable_signup' AS value FROM connections WHERE name = $1`,
    {
      bind: [name],
      type: QueryTypes.SELECT,
    },
  );
  return row?.value;
}

describe('sign-up after an upgrade', () => {
  it('is off for database connections made before it, as they were, and on for a fresh install', async () => {
    const first = await startTestTessera();
    running.push(first);
    expect(await disableSignup(first, DEFAULT_DATABASE_CONNECTION)).toBeNull();
    const open = await first.services.management.connections.create(
      createConnectionInput.parse({ name: 'open-by-choice', strategy: 'database', options: { disable_signup: false } }),
    );
    await first.services.management.connections.create(createConnectionInput.parse({ name: 'older', strategy: 'database' }));
    // As a release before sign-up left them: no disable_signup at all, and the migration not yet applied.
    await first.database.sequelize.query(`UPDATE connections SET options = options - 'disable_signup' WHERE name = 'older'`);
    await first.database.sequelize.query(`DELETE FROM schema_migrations WHERE name = '0015-signup-closed-on-upgrade'`);
    await first.stop();
    running.pop();

    const upgraded = await startTestTessera({ databaseUrl: first.databaseUrl, env: { ISSUER: first.issuer } });
    running.push(upgraded);
    expect(await disableSignup(upgraded, 'older')).toBe(true);
    expect(await disableSignup(upgraded, DEFAULT_DATABASE_CONNECTION)).toBe(true);
    expect(await disableSignup(upgraded, open.name)).toBe(false);
  });
});
