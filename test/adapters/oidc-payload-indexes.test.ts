/**
 * What migration 0010 promises: an account's grants and sessions are still found through an
 * index that tokens no longer enter, and a token marked consumed is rewritten in place (HOT).
 */
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

describe('oidc_payloads indexes and layout', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
  });
  afterAll(() => database?.close());

  const row = (model: string, accountId: string) => {
    const id = `${model}-${randomUUID()}`;
    return {
      model,
      id,
      payload: { jti: id, kind: model, accountId },
      grant_id: null,
      user_code: null,
      uid: null,
      account_id: accountId,
      expires_at: new Date(Date.now() + 3_600_000),
      consumed_at: null,
    };
  };

  async function indexEntries(index: string): Promise<number> {
    const [found] = await database.sequelize.query<{ entries: number }>(
      `SELECT reltuples::int AS entries FROM pg_class WHERE relname = :index`,
      { replacements: { index }, type: QueryTypes.SELECT },
    );
    return found?.entries ?? -1;
  }

  it('finds an account’s grants and sessions, while its tokens take no entry in that index', async () => {
    const account = `user-${randomUUID()}`;
    const tokens = Array.from({ length: 200 }, () => row('AccessToken', account));
    const grant = row('Grant', account);
    const session = row('Session', account);
    await database.models.OidcPayload.bulkCreate([...tokens, grant, session]);
    await database.sequelize.query('VACUUM ANALYZE oidc_payloads');

    expect(await new SequelizeAdapter('Grant', database.models).idsByAccount(account)).toEqual([grant.id]);
    expect(await new SequelizeAdapter('Session', database.models).idsByAccount(account)).toEqual([session.id]);
    expect(await indexEntries('oidc_payloads_account_holders')).toBeLessThan(10);
  });

  it('marks a token consumed without a new index entry (a heap-only update), on a page filled after it', async () => {
    const token = row('RefreshToken', `user-${randomUUID()}`);
    await database.models.OidcPayload.create(token);
    // Enough rows after it to fill its page as far as inserts may.
    await database.models.OidcPayload.bulkCreate(Array.from({ length: 300 }, () => row('AccessToken', `user-${randomUUID()}`)));
    const hotBefore = await hotUpdates();
    await new SequelizeAdapter('RefreshToken', database.models).consume(token.id);
    // The statistics collector reports a backend's counts once its transaction ends.
    await database.sequelize.query('SELECT pg_stat_force_next_flush()');
    await expect.poll(hotUpdates).toBeGreaterThan(hotBefore);
  });

  async function hotUpdates(): Promise<number> {
    const [stats] = await database.sequelize.query<{ hot: string }>(
      `SELECT n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = 'oidc_payloads'`,
      { type: QueryTypes.SELECT },
    );
    return Number(stats?.hot ?? 0);
  }
});
