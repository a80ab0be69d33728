/**
 * sweepExpiredPayloads reclaims expired oidc_payloads rows, whatever their model, and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SequelizeAdapter, sweepExpiredPayloads } from '../../adapters/oidc/sequelize-adapter.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

describe('sweepExpiredPayloads', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
  });
  afterAll(() => database?.close());
  // The database belongs to this file alone, so each test may start from an empty table.
  beforeEach(() => database.models.OidcPayload.destroy({ where: {} }));

  const past = (seconds: number) => new Date(Date.now() - seconds * 1000);
  const future = (seconds: number) => new Date(Date.now() + seconds * 1000);

  async function insert(model: string, expiresAt: Date | null, extra: { consumed?: boolean; grantId?: string } = {}) {
    const id = `${model}-${randomUUID()}`;
    await database.models.OidcPayload.create({
      model,
      id,
      payload: { jti: id, kind: model, clientId: 'client-app', ...(extra.grantId ? { grantId: extra.grantId } : {}) },
      grant_id: extra.grantId ?? null,
      user_code: null,
      uid: null,
      expires_at: expiresAt,
      consumed_at: extra.consumed ? past(1) : null,
    });
    return id;
  }

  const remainingIds = async () => (await database.models.OidcPayload.findAll({ attributes: ['id'] })).map((row) => row.id).sort();

  it('deletes expired rows of every model and returns how many it deleted', async () => {
    await insert('AccessToken', past(10));
    await insert('AuthorizationCode', past(1), { consumed: true });
    await insert('Session', past(3600));
    await insert('RefreshToken', past(60), { grantId: 'grant-1' });

    expect(await sweepExpiredPayloads(database.models)).toBe(4);
    expect(await remainingIds()).toEqual([]);
  });

  it('keeps rows that have not expired yet and rows that never expire', async () => {
    const expired = await insert('AccessToken', past(5));
    const live = [
      await insert('AccessToken', future(3600)),
      await insert('AuthorizationCode', future(60), { consumed: true }),
      await insert('Grant', null),
      await insert('Client', null),
    ];

    expect(await sweepExpiredPayloads(database.models)).toBe(1);
    expect(await remainingIds()).toEqual([...live].sort());
    expect(await remainingIds()).not.toContain(expired);
  });

  it('returns 0 and deletes nothing when nothing has expired', async () => {
    const live = [await insert('Session', future(60)), await insert('Grant', null)];
    expect(await sweepExpiredPayloads(database.models)).toBe(0);
    expect(await remainingIds()).toEqual(live.sort());
  });

  it('sweeps in batches until nothing expired is left', async () => {
    const live = await insert('Session', future(60));
    for (let index = 0; index < 7; index += 1) await insert('AccessToken', past(60));
    expect(await sweepExpiredPayloads(database.models, 3)).toBe(7);
    expect(await remainingIds()).toEqual([live]);
  });

  it('returns 0 on an empty table', async () => {
    expect(await sweepExpiredPayloads(database.models)).toBe(0);
  });

  it('reclaims an artifact stored through the adapter once its expiresIn has passed, and only then', async () => {
    const tokens = new SequelizeAdapter('AccessToken', database.models);
    const shortLived = `at-${randomUUID()}`;
    const longLived = `at-${randomUUID()}`;
    await tokens.upsert(shortLived, { jti: shortLived, kind: 'AccessToken', clientId: 'client-app' }, 1);
    await tokens.upsert(longLived, { jti: longLived, kind: 'AccessToken', clientId: 'client-app' }, 3600);

    expect(await sweepExpiredPayloads(database.models)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await tokens.find(shortLived)).toBeUndefined();
    expect(await sweepExpiredPayloads(database.models)).toBe(1);
    expect(await remainingIds()).toEqual([longLived]);
    expect(await tokens.find(longLived)).toMatchObject({ jti: longLived });
  });
});
