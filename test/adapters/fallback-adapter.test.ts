import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GrantGone } from '../../adapters/errors.js';
import { FallbackAdapter, PendingRedisWrites } from '../../adapters/oidc/fallback-adapter.js';
import { RedisAdapter } from '../../adapters/oidc/redis-adapter.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { storedGrant } from '../support/grants.js';

describe('Redis with PostgreSQL behind it', () => {
  let database: Database;
  let redis: Redis;
  let observer: Redis;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    redis = new Redis(inject('redisUrl'), { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    redis.on('error', () => undefined);
    await redis.connect();
    observer = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis.disconnect();
    observer.disconnect();
    await database.close();
  });

  const adapterFor = (model: string, pending: PendingRedisWrites) =>
    new FallbackAdapter(new RedisAdapter(model, redis), new SequelizeAdapter(model, database.models), pending);
  const id = () => randomBytes(8).toString('hex');
  const grant = () => storedGrant(new SequelizeAdapter('Grant', database.models));
  const away = async () => {
    redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const back = async () => {
    const ready = new Promise((resolve) => redis.once('ready', resolve));
    await redis.connect();
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('writes to Redis while it is there, and to PostgreSQL while it is away', async () => {
    const sessions = adapterFor('Session', new PendingRedisWrites(redis));
    const first = id();
    await sessions.upsert(first, { jti: first, accountId: 'a' }, 60);
    expect(await observer.exists(`oidc:Session:${first}`)).toBe(1);

    await away();
    const second = id();
    await sessions.upsert(second, { jti: second, accountId: 'a' }, 60);
    expect(await sessions.find(second)).toEqual({ jti: second, accountId: 'a' });
    expect(await database.models.OidcPayload.count({ where: { model: 'Session', id: second } })).toBe(1);
    await back();
    expect(await sessions.find(second)).toEqual({ jti: second, accountId: 'a' });
  });

  it('replays what Redis missed during the outage, so a destroyed or consumed artifact stays so', async () => {
    const pending = new PendingRedisWrites(redis);
    const codes = adapterFor('AuthorizationCode', pending);
    const sessions = adapterFor('Session', pending);
    const code = id();
    const session = id();
    await codes.upsert(code, { jti: code, grantId: await grant() }, 60);
    await sessions.upsert(session, { jti: session }, 60);

    await away();
    await codes.consume(code);
    await sessions.destroy(session);
    await back();

    expect(await codes.find(code)).toMatchObject({ jti: code, consumed: expect.any(Number) });
    expect(await sessions.find(session)).toBeUndefined();
  });

  it('keeps nothing in Redis of a token PostgreSQL refused because its grant is gone', async () => {
    const tokens = adapterFor('AccessToken', new PendingRedisWrites(redis));
    const token = { jti: id(), grantId: id(), accountId: 'a' };
    await expect(tokens.upsert(token.jti, token, 600)).rejects.toBeInstanceOf(GrantGone);
    expect(await observer.exists(`oidc:AccessToken:${token.jti}`)).toBe(0);
    expect(await tokens.find(token.jti)).toBeUndefined();
  });

  it('serves the version saved while Redis was unreachable, not the older one Redis kept', async () => {
    const sessions = adapterFor('Session', new PendingRedisWrites(redis));
    const session = id();
    await sessions.upsert(session, { jti: session, accountId: 'a', version: 1 }, 60);
    await away();
    await sessions.upsert(session, { jti: session, accountId: 'a', version: 2 }, 60);
    await back();
    expect(await sessions.find(session)).toEqual({ jti: session, accountId: 'a', version: 2 });
  });

  // What a Redis restarted empty has lost: the artifact's hash and its pointers.
  const lose = async (model: string, payload: { jti: string; grantId?: string; uid?: string }) => {
    await observer.del(`oidc:${model}:${payload.jti}`);
    if (payload.grantId) await observer.del(`oidc:grant:${payload.grantId}`);
    if (payload.uid) await observer.del(`oidc:uid:${payload.uid}`);
  };
  const settled = () => new Promise((resolve) => setTimeout(resolve, 100));

  it('finds in PostgreSQL what Redis lost, by id or uid, and writes it back to Redis with its TTL and consumed mark', async () => {
    const pending = new PendingRedisWrites(redis);
    const tokens = adapterFor('AccessToken', pending);
    const codes = adapterFor('AuthorizationCode', pending);
    const sessions = adapterFor('Session', pending);
    const token = { jti: id(), grantId: await grant(), accountId: 'a' };
    const code = { jti: id(), grantId: await grant() };
    const session = { jti: id(), uid: id(), accountId: 'a' };
    await tokens.upsert(token.jti, token, 600);
    await codes.upsert(code.jti, code, 60);
    await codes.consume(code.jti);
    await sessions.upsert(session.jti, session, 600);
    await lose('AccessToken', token);
    await lose('AuthorizationCode', code);
    await lose('Session', session);

    expect(await tokens.find(token.jti)).toEqual(token);
    expect(await codes.find(code.jti)).toMatchObject({ ...code, consumed: expect.any(Number) });
    expect(await sessions.findByUid(session.uid)).toEqual(session);
    await settled();
    expect(await observer.ttl(`oidc:AccessToken:${token.jti}`)).toBeGreaterThan(590);
    expect(await observer.hget(`oidc:AuthorizationCode:${code.jti}`, 'consumed')).toEqual(expect.any(String));
    expect(await observer.get(`oidc:uid:${session.uid}`)).toBe(session.jti);
    // Written back with its grant's index, so revoking the grant reaches the copy too.
    await tokens.revokeByGrantId(token.grantId);
    expect(await observer.exists(`oidc:AccessToken:${token.jti}`)).toBe(0);
    expect(await tokens.find(token.jti)).toBeUndefined();
  });

  it('brings back nothing destroyed, revoked or consumed, even when the removal races the write back', async () => {
    const pending = new PendingRedisWrites(redis);
    const tokens = adapterFor('AccessToken', pending);
    const codes = adapterFor('AuthorizationCode', pending);
    for (let round = 0; round < 10; round += 1) {
      const destroyed = { jti: id(), grantId: await grant() };
      const revoked = { jti: id(), grantId: await grant() };
      const consumed = { jti: id(), grantId: await grant() };
      await tokens.upsert(destroyed.jti, destroyed, 600);
      await tokens.upsert(revoked.jti, revoked, 600);
      await codes.upsert(consumed.jti, consumed, 60);
      await lose('AccessToken', destroyed);
      await lose('AccessToken', revoked);
      await lose('AuthorizationCode', consumed);
      // Each read misses Redis and starts writing back while the removal goes on beside it.
      await Promise.all([
        tokens.find(destroyed.jti),
        tokens.destroy(destroyed.jti),
        tokens.find(revoked.jti),
        tokens.revokeByGrantId(revoked.grantId),
        codes.find(consumed.jti),
        codes.consume(consumed.jti),
      ]);
      await settled();
      expect(await tokens.find(destroyed.jti)).toBeUndefined();
      expect(await tokens.find(revoked.jti)).toBeUndefined();
      expect((await codes.find(consumed.jti))?.consumed).toEqual(expect.any(Number));
      expect(await observer.hget(`oidc:AuthorizationCode:${consumed.jti}`, 'consumed')).not.toBeNull();
    }
  });

  it('lets one of many concurrent consumes of one code pass, on any of its stores, and refuses the rest', async () => {
    const pending = new PendingRedisWrites(redis);
    const code = { jti: id(), grantId: await grant() };
    await adapterFor('AuthorizationCode', pending).upsert(code.jti, code, 60);
    // Each attempt through its own adapter, as on separate nodes.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => adapterFor('AuthorizationCode', pending).consumeOnce(code.jti)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ name: 'AlreadyConsumed', grantId: code.grantId });
    }
  });
});
