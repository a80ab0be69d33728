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

export type CreateLimiter = (options: LimiterOptions) => RateLimiterAbstract;

/**
 * `namespace` (the issuer) keeps deployments that share a Redis apart; nodes of one
 * deployment share their issuer, and so their counters.
 */
export function createLimiterFactory(redis: RedisClient | undefined, namespace: string): CreateLimiter {
  return ({ name, points, duration }) => {
    const keyPrefix = `abuse:${namespace}:${name}`;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!redis) return memory;
    // The shared client has no offline queue, so a command to a Redis that is away fails at
    // once; rejectIfRedisNotReady skips even that attempt while ioredis reconnects.
    return new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true, insuranceLimiter: memory });
  };
}

/** Whole seconds until a count or block ends, at least one: what Retry-After says. */
export function secondsUntil(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
