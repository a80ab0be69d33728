/**
 * Where the abuse counters live: in Redis when Tessera has one, so every node counts the same
 * failures, else in this process. A Redis that is down counts as absent: each limiter falls
 * back to an in-process twin (rate-limiter-flexible's insurance limiter) instead of failing
 * the request, and returns to Redis once it is back.
 * @see node_modules/rate-limiter-flexible/README.md (insuranceLimiter, RateLimiterRedis with ioredis Cluster)
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from '../../adapters/redis/client.js';

export interface LimiterOptions {
  /** Names the counter; keys of different limiters never meet. */
  name: string;
  /** How many points a key may reach within `duration`. */
  points: number;
  /** Seconds a key's count lives, from its first point. */
  duration: number;
}

/** A limiter that can also say how many points a key holds in one cheap read. */
export type Limiter = RateLimiterAbstract & {
  /**
   * The points `key` has consumed, 0 when none. With Redis, one GET of the counter, where
   * the limiter's own `get` sends MULTI, GET, PTTL and EXEC: a check made on every request
   * (client authentication, a login's epoch) pays for one command instead of four. The time left is not read;
   * `get` still gives it where an answer needs it.
   */
  consumedPoints(key: string): Promise<number>;
};

export type CreateLimiter = (options: LimiterOptions) => Limiter;

/**
 * `namespace` (the issuer) keeps deployments that share a Redis apart; nodes of one
 * deployment share their issuer, and so their counters.
 */
export function createLimiterFactory(redis: RedisClient | undefined, namespace: string): CreateLimiter {
  return ({ name, points, duration }) => {
    const keyPrefix = `abuse:${namespace}:${name}`;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    const consumedByGet = (limiter: RateLimiterAbstract) => async (key: string) => (await limiter.get(key))?.consumedPoints ?? 0;
    if (!redis) return Object.assign(memory, { consumedPoints: consumedByGet(memory) });
    // The shared client has no offline queue, so a command to a Redis that is away fails at
    // once; rejectIfRedisNotReady skips even that attempt while ioredis reconnects.
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
    const fallback = consumedByGet(limiter);
    const consumedPoints = async (key: string) => {
      // Away or failing: the limiter's get answers from its in-process insurance, as its other calls do.
      if (redis.status !== 'ready') return fallback(key);
      const stored = await redis.get(limiter.getKey(key)).catch(() => undefined);
      return stored === undefined ? fallback(key) : Number(stored ?? 0);
    };
    return Object.assign(limiter, { consumedPoints });
  };
}

/** Whole seconds until a count or block ends, at least one: what Retry-After says. */
export function secondsUntil(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
