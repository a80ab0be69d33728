/**
 * The shared connection openRedis makes for one Redis: commands issued together go out as one
 * batch, while a blocking connection sends each as it comes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { duplicateForBlocking, openRedis, type RedisClient } from '../../adapters/redis/client.js';
import { createLogger } from '../../server/logger.js';

describe('the Redis connection', () => {
  let redis: RedisClient;

  beforeAll(async () => {
    redis = await openRedis([inject('redisUrl')], createLogger('silent'));
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('batches the commands issued in one turn of the event loop', async () => {
    const replies = Promise.all([
      redis.exists('redis-client-test:a'),
      redis.exists('redis-client-test:b'),
      redis.exists('redis-client-test:c'),
    ]);
    expect(redis.autoPipelineQueueSize).toBe(3);
    expect(await replies).toEqual([0, 0, 0]);
  });

  it("sends a blocking connection's commands one by one", async () => {
    const blocking = duplicateForBlocking(redis);
    try {
      const reply = blocking.exists('redis-client-test:a');
      expect(blocking.autoPipelineQueueSize).toBe(0);
      expect(await reply).toBe(0);
    } finally {
      blocking.disconnect();
    }
  });
});
