import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FallbackAdapter, PendingRedisWrites } from '../../adapters/oidc/fallback-adapter.js';
import { RedisAdapter } from '../../adapters/oidc/redis-adapter.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { openDatabase, type Database } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

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
    await codes.upsert(code, { jti: code, grantId: 'g' }, 60);
    await sessions.upsert(session, { jti: session }, 60);

    await away();
    await codes.consume(code);
    await sessions.destroy(session);
    await back();

    expect(await codes.find(code)).toMatchObject({ jti: code, consumed: expect.any(Number) });
    expect(await sessions.find(session)).toBeUndefined();
  });
});
