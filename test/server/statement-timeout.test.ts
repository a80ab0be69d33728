/**
 * STATEMENT_TIMEOUT_MS: PostgreSQL cancels an application statement that runs too long, a
 * search cancelled so answers a tRPC error at once, and migrations are not bound by it.
 * A table lock held by another session makes a statement wait for as long as the test wants.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADVISORY_LOCKS } from '../../adapters/sequelize/advisory-locks.js';
import { openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { adminClient, errorOf } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

async function session(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('the statement timeout', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { STATEMENT_TIMEOUT_MS: '500' } });
    admin = await adminClient(tessera.issuer);
    await admin.users.create.mutate({ connection: 'Username-Password', email: 'timeout@example.com', password: 'a long password' });
  });
  afterAll(() => tessera?.stop());

  it('cancels a search stuck behind a lock and answers TIMEOUT saying so, then searches again once the lock is gone', async () => {
    const locker = await session(tessera.databaseUrl);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const error = await errorOf(admin.users.list.query({ q: 'email:timeout@example.com' }));
      expect(error).toMatchObject({ code: 'TIMEOUT', field: 'q' });
      expect(error.message).toContain('took too long');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const page = await admin.users.list.query({ q: 'email:timeout@example.com' });
    expect('users' in page && page.users.map((user) => user.email)).toEqual(['timeout@example.com']);
  });

  it('does not bind migrations: a start waiting 1.5 s for another node’s migration lock still opens', async () => {
    const url = await createTestDatabase();
    const otherNode = await session(url);
    await otherNode.query('BEGIN');
    await otherNode.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.migrations})`);
    const release = setTimeout(() => void otherNode.query('COMMIT'), 1_500);
    try {
      const database = await openDatabase(url, createLogger('silent'), 200);
      await database.close();
    } finally {
      clearTimeout(release);
      await otherNode.end();
    }
  });
});
