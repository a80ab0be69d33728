/**
 * A refresh token consumed by the statement that writes its successors (deferred-writes.ts,
 * payload-statements.ts): the new tokens land exactly when the old one is marked, in one commit,
 * and of several requests redeeming one token only one's tokens land.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redemption } from '../../adapters/oidc/deferred-writes.js';
import { type PayloadStatements, payloadStatements } from '../../adapters/oidc/payload-statements.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import type { AdapterPayload } from '../../adapters/oidc/types.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { storedGrant } from '../support/grants.js';
import { payloadStatementsDuring, watchingStatements } from '../support/pg-statements.js';

const GRANT_ID = `grant-${randomUUID()}`;

const token = (model: string): { model: string; id: string; payload: AdapterPayload; expiresIn: number } => {
  const id = `${model}-${randomUUID()}`;
  return { model, id, payload: { jti: id, kind: model, grantId: GRANT_ID, exp: Math.floor(Date.now() / 1000) + 600 }, expiresIn: 600 };
};

const noSecondUse = async () => {
  throw new Error('not expected here');
};

describe('refresh tokens redeemed by the statement that writes their successors', () => {
  let database: Database;
  let statements: PayloadStatements;
  let refreshTokens: SequelizeAdapter;
  let accessTokens: SequelizeAdapter;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    await storedGrant(new SequelizeAdapter('Grant', database.models), GRANT_ID);
    statements = payloadStatements(database.models);
    refreshTokens = new SequelizeAdapter('RefreshToken', database.models);
    accessTokens = new SequelizeAdapter('AccessToken', database.models);
  }, 60_000);

  afterAll(async () => {
    await database.close();
  });

  const storedRefreshToken = async () => {
    const old = token('RefreshToken');
    await refreshTokens.upsert(old.id, old.payload, old.expiresIn);
    return old;
  };

  /** A refresh's two new tokens, written together and carrying `redemption`. */
  const successors = (redemption: Redemption) => {
    const [refresh, access] = [token('RefreshToken'), token('AccessToken')];
    return {
      ids: [refresh.id, access.id],
      written: Promise.all([statements.upsert({ ...refresh, redemption }), statements.upsert({ ...access, redemption })]),
    };
  };

  const found = async ([refreshId, accessId]: string[]) => [
    await refreshTokens.find(refreshId ?? ''),
    await accessTokens.find(accessId ?? ''),
  ];

  it('writes the new tokens and marks the old one consumed in one statement', async () => {
    const old = await storedRefreshToken();
    const redemption = new Redemption('RefreshToken', old.id, noSecondUse);
    let outcomes: string[] = [];
    let ids: string[] = [];
    const count = await payloadStatementsDuring(async () => {
      const refresh = successors(redemption);
      ids = refresh.ids;
      outcomes = await refresh.written;
    });
    expect(count).toBe(1);
    expect(outcomes).toEqual(['created', 'created']);
    expect((await refreshTokens.find(old.id))?.consumed).toEqual(expect.any(Number));
    expect((await found(ids)).every(Boolean)).toBe(true);
  });

  it('writes nothing for a later redemption of a token already consumed, and says so', async () => {
    const old = await storedRefreshToken();
    await successors(new Redemption('RefreshToken', old.id, noSecondUse)).written;
    const second = successors(new Redemption('RefreshToken', old.id, noSecondUse));
    expect(await second.written).toEqual(['unredeemed', 'unredeemed']);
    expect(await found(second.ids)).toEqual([undefined, undefined]);
  });

  it("lands exactly one of two requests' tokens when both redeem one token in the same statement", async () => {
    const old = await storedRefreshToken();
    const [first, second] = [
      successors(new Redemption('RefreshToken', old.id, noSecondUse)),
      successors(new Redemption('RefreshToken', old.id, noSecondUse)),
    ];
    const outcomes = [await first.written, await second.written];
    expect(outcomes.map((pair) => pair.join())).toEqual(expect.arrayContaining(['created,created', 'unredeemed,unredeemed']));
    const landed = [(await found(first.ids)).every(Boolean), (await found(second.ids)).every(Boolean)];
    expect(landed.filter(Boolean)).toHaveLength(1);
  });

  it('lands a write that comes after its redemption was decided without redeeming again, and only if the redemption was marked', async () => {
    const old = await storedRefreshToken();
    const redemption = new Redemption('RefreshToken', old.id, noSecondUse);
    const early = statements.upsert({ ...token('RefreshToken'), redemption });
    await nextTurn();
    expect(redemption.decided).toBeDefined();
    const late = token('AccessToken');
    expect(await statements.upsert({ ...late, redemption })).toBe('created');
    expect(await early).toBe('created');

    const lost = new Redemption('RefreshToken', old.id, noSecondUse);
    const lostEarly = statements.upsert({ ...token('RefreshToken'), redemption: lost });
    await nextTurn();
    const lostLate = token('AccessToken');
    expect(await statements.upsert({ ...lostLate, redemption: lost })).toBe('unredeemed');
    expect(await lostEarly).toBe('unredeemed');
    expect(await accessTokens.find(lostLate.id)).toBeUndefined();
  });

  it('leaves the old token unconsumed when the statement fails', async () => {
    const old = await storedRefreshToken();
    let ids: string[] = [];
    const failing = (text: string) => (text.includes('redeemed AS') ? new Error('Connection terminated unexpectedly') : undefined);
    await expect(
      watchingStatements(failing, () => {
        const refresh = successors(new Redemption('RefreshToken', old.id, noSecondUse));
        ids = refresh.ids;
        return refresh.written;
      }),
    ).rejects.toThrow('Connection terminated unexpectedly');
    expect((await refreshTokens.find(old.id))?.consumed).toBeUndefined();
    expect(await found(ids)).toEqual([undefined, undefined]);
  });
});
