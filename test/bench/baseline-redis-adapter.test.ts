import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBaselineRedisStore } from '../../bench/baseline-redis-adapter.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { refresh, runningBaselines, servesTheScenarios } from './baseline-checks.js';

describe('the bare provider over Redis (bench/baseline-redis-adapter.ts)', () => {
  let redis: RedisServer;
  const baselines = runningBaselines();
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(() => baselines.stopAll());
  afterAll(async () => {
    await redis?.stop();
  });

  it('serves the benchmark scenarios from Redis, rotates refresh tokens once, and keeps them across a restart of the provider', async () => {
    const kept = await servesTheScenarios(await baselines.start(openBaselineRedisStore(redis.url)));

    const client = new Redis(redis.url);
    try {
      const models = new Set((await client.keys('baseline:*')).map((key) => key.split(':')[1]));
      expect([...models]).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'RefreshToken', 'Session']));
    } finally {
      client.disconnect();
    }

    await baselines.stopLatest();
    expect((await refresh(await baselines.start(openBaselineRedisStore(redis.url)), kept)).status).toBe(200);
  });
});
