/**
 * Every password login looks its identity up by email or username. Against a real PostgreSQL
 * with many identities: the lookup is answered from the partial login indexes, never by reading
 * every identity, and it finds what a login expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionQueries, createConnectionQueries } from '../../adapters/queries/connections.js';
import { createUserQueries, identityByLoginSql, type UserQueries } from '../../adapters/queries/users.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

const IDENTITIES = 20_000;
const plainCodec = {
  seal: (_id: string, _strategy: string, options: Record<string, unknown>) => options,
  open: (_id: string, _strategy: string, options: Record<string, unknown>) => options,
};

/** Every plan node of an EXPLAIN (FORMAT JSON) answer. */
function nodesOf(plan: Record<string, unknown>): Array<Record<string, unknown>> {
  const children = (plan['Plans'] as Array<Record<string, unknown>> | undefined) ?? [];
  return [plan, ...children.flatMap(nodesOf)];
}

describe('the login lookup', () => {
  let database: Database;
  let users: UserQueries;
  let connections: ConnectionQueries;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    users = createUserQueries(database.models, plainCodec);
    connections = createConnectionQueries(database.models, plainCodec);
    for (const [id, strategy] of [
      ['con_db', 'database'],
      ['con_custom', 'custom'],
    ] as const) {
      await connections.create({ id, name: id, strategy, options: {} });
    }
    const sql = database.models.sequelize;
    await sql.query(
      `INSERT INTO users (id, created_at, updated_at) SELECT 'database|' || g, now(), now() FROM generate_series(1, ${IDENTITIES}) g`,
    );
    await sql.query(
      `INSERT INTO identities (user_id, connection_id, provider, external_id, profile_data, created_at, updated_at)
       SELECT 'database|' || g, CASE WHEN g % 2 = 0 THEN 'con_db' ELSE 'con_custom' END, CASE WHEN g % 2 = 0 THEN 'database' ELSE 'custom' END,
              g::text, jsonb_build_object('email', 'user' || g || '@example.com', 'username', 'name' || g), now(), now()
         FROM generate_series(1, ${IDENTITIES}) g`,
    );
    // An email that is also another identity's username: the email's owner is the one found.
    await sql.query(
      `UPDATE identities SET profile_data = jsonb_build_object('email', 'user4@example.com', 'username', 'user2@example.com') WHERE external_id = '4'`,
    );
    await sql.query('ANALYZE identities');
  }, 120_000);
  afterAll(() => database?.close());

  it.each(['database', 'custom'] as const)('of a %s connection reads the login indexes, not every identity', async (provider) => {
    const [row] = await database.models.sequelize.query<{ 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> }>(
      `EXPLAIN (FORMAT JSON) ${identityByLoginSql(provider)}`,
      { bind: [provider === 'database' ? 'con_db' : 'con_custom', 'user19998@example.com'], type: 'SELECT' as never },
    );
    const nodes = nodesOf(row!['QUERY PLAN'][0]!.Plan);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(nodes.map((node) => node['Index Name']).filter(Boolean)).toEqual([
      `identities_${provider}_email`,
      `identities_${provider}_username`,
    ]);
  });

  it('finds an identity by email or username in any case, only in its own connection, the email first', async () => {
    expect((await users.findDatabaseIdentity('con_db', 'USER19998@example.com'))?.external_id).toBe('19998');
    expect((await users.findDatabaseIdentity('con_db', 'Name19998'))?.external_id).toBe('19998');
    expect((await users.findCustomIdentity('con_custom', 'name19999'))?.external_id).toBe('19999');
    expect(await users.findDatabaseIdentity('con_db', 'name19999')).toBeUndefined();
    expect((await users.findDatabaseIdentity('con_db', 'user2@example.com'))?.external_id).toBe('2');
  });
});
