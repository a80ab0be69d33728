import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BaselineStore, startBaselineProvider } from '../../bench/baseline-provider.js';
import { openBaselineRedisStore } from '../../bench/baseline-redis-adapter.js';
import type { Target } from '../../bench/target.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { refresh, servesTheScenarios } from './baseline-checks.js';

describe('the bare provider over Redis (bench/baseline-redis-adapter.ts)', () => {
  let redis: RedisServer;
  const running: Array<{ target: Target; store: BaselineStore }> = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const { target, store } of running.splice(0)) {
      await target.stop();
      await store.close();
    }
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function start() {
    const store = await openBaselineRedisStore(redis.url);
    const target = await startBaselineProvider(store.adapter);
    running.push({ target, store });
    return target;
  }

  it('serves the benchmark scenarios from Redis, rotates refresh tokens once, and keeps them across a restart of the provider', async () => {
    const kept = await servesTheScenarios(await start());

    const client = new Redis(redis.url);
    try {
      const models = new Set((await client.keys('baseline:*')).map((key) => key.split(':')[1]));
      expect([...models]).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken', 'Session']));
    } finally {
      client.disconnect();
    }

    const stopped = running.pop();
    await stopped?.target.stop();
    await stopped?.store.close();
    expect((await refresh(await start(), kept)).status).toBe(200);
  });
});
