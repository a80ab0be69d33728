import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createMemoryProfileCache, createRedisProfileCache, type ProfileCache } from '../../adapters/cache/profile-cache.js';
import { freePort } from '../../adapters/postgres/free-port.js';
import { startRedisServer } from '../support/redis-server.js';

type Entry = { name: string };

const connections: Redis[] = [];
afterAll(async () => {
  for (const redis of connections) redis.disconnect();
});

const unexpectedLoad = async (): Promise<Entry> => {
  throw new Error('loaded, though the value was in the cache');
};

function sharedRedis() {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return redis;
}

describe.each([
  ['in-process LRU', () => createMemoryProfileCache<Entry>({ ttlSeconds: 60, max: 100 })],
  ['Redis', () => createRedisProfileCache<Entry>(sharedRedis(), { ttlSeconds: 60 })],
] as Array<[string, () => ProfileCache<Entry>]>)('profile cache (%s)', (_name, make) => {
  const id = () => `database|${randomBytes(6).toString('hex')}`;

  it('loads on a miss and serves the stored value on the next read without loading', async () => {
    const cache = make();
    const key = id();
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return { name: 'Ann' };
    };
    expect(await cache.read(key, loader)).toEqual({ name: 'Ann' });
    expect(await cache.read(key, loader)).toEqual({ name: 'Ann' });
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('does not store a missing user', async () => {
    const cache = make();
    const key = id();
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return undefined;
    };
    await cache.read(key, loader);
    await cache.read(key, loader);
    expect(loads).toBe(2);
  });

  it('reloads after an invalidation', async () => {
    const cache = make();
    const key = id();
    await cache.read(key, async () => ({ name: 'old' }));
    await cache.invalidate(key);
    expect(await cache.read(key, async () => ({ name: 'new' }))).toEqual({ name: 'new' });
  });

  it('never stores what a read loaded before a write that committed while it was loading', async () => {
    const cache = make();
    const key = id();
    let release!: () => void;
    const slowRead = cache.read(key, () => new Promise<Entry>((resolve) => (release = () => resolve({ name: 'stale' }))));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.invalidate(key);
    release();
    expect(await slowRead).toEqual({ name: 'stale' });
    expect(await cache.read(key, async () => ({ name: 'fresh' }))).toEqual({ name: 'fresh' });
  });

  it('keeps the value a write returned, once that write has invalidated the entry', async () => {
    const cache = make();
    const key = id();
    await cache.read(key, async () => ({ name: 'before the login' }));
    const before = await cache.versionOf(key);
    await cache.invalidate(key);
    await cache.refill(key, { name: 'after the login' }, before);
    expect(await cache.read(key, unexpectedLoad)).toEqual({ name: 'after the login' });
  });

  it('does not keep it when another write invalidated the entry between the version read and the refill', async () => {
    const cache = make();
    const key = id();
    const before = await cache.versionOf(key);
    await cache.invalidate(key);
    await cache.invalidate(key);
    await cache.refill(key, { name: 'older than the other write' }, before);
    expect(await cache.read(key, async () => ({ name: 'fresh' }))).toEqual({ name: 'fresh' });
  });

  it('does not keep it when the write did not invalidate the entry', async () => {
    const cache = make();
    const key = id();
    await cache.read(key, async () => ({ name: 'cached' }));
    const before = await cache.versionOf(key);
    await cache.refill(key, { name: 'unannounced' }, before);
    expect(await cache.read(key, unexpectedLoad)).toEqual({ name: 'cached' });
  });
});

describe('profile cache (Redis), its entries parsed', () => {
  it('parses an entry once while its text is unchanged, and again once another node stores a new one', async () => {
    const redis = sharedRedis();
    const cache = createRedisProfileCache<Entry>(redis, { ttlSeconds: 60 });
    const key = `database|${randomBytes(6).toString('hex')}`;
    await cache.read(key, async () => ({ name: 'Ann' }));
    const first = await cache.read(key, unexpectedLoad);
    expect(await cache.read(key, unexpectedLoad)).toBe(first);

    // What another node's refill leaves: a new text under the same key, with nothing announced here.
    await redis.set(`profile:{${key}}`, JSON.stringify({ name: 'Bea' }), 'EX', 60);
    expect(await cache.read(key, unexpectedLoad)).toEqual({ name: 'Bea' });
    expect(first).toEqual({ name: 'Ann' });
  });
});

describe('profile cache (Redis) under concurrent writes', () => {
  it('sends one version bump per invalidation when many run at once, as a bulk import makes them', async () => {
    const server = await startRedisServer(await freePort());
    const redis = new Redis(server.url);
    connections.push(redis);
    try {
      const cache = createRedisProfileCache<Entry>(redis, { ttlSeconds: 60 });
      const increments = async () => Number(/cmdstat_incr:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
      const before = await increments();
      await Promise.all(Array.from({ length: 200 }, (_, index) => cache.invalidate(`database|concurrent-${index}`)));
      expect((await increments()) - before).toBe(200);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});

describe('profile cache when Redis goes away', () => {
  it('reads through to the loader, warns once, and catches up on missed invalidations when Redis returns', async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    connections.push(redis);
    await new Promise((resolve) => redis.once('ready', resolve));
    const warnings: string[] = [];
    let recoveries = 0;
    const cache = createRedisProfileCache<Entry>(redis, {
      ttlSeconds: 60,
      onUnavailable: (error) => warnings.push(error.message),
      onRecovered: () => (recoveries += 1),
    });
    const key = 'database|outage';
    await cache.read(key, async () => ({ name: 'before' }));

    await server.stop();
    for (let i = 0; i < 5; i += 1) expect(await cache.read(key, async () => ({ name: 'from-db' }))).toEqual({ name: 'from-db' });
    // A write during the outage: its invalidation cannot reach Redis yet.
    await cache.invalidate(key);
    expect(warnings).toHaveLength(1);

    // Redis comes back with the entry written before the outage (as a replica or persistence would).
    server = await startRedisServer(port);
    await new Promise((resolve) => (redis.status === 'ready' ? resolve(undefined) : redis.once('ready', resolve)));
    await redis.set(`profile:{${key}}`, JSON.stringify({ name: 'before' }));
    expect(await cache.read(key, async () => ({ name: 'after' }))).toEqual({ name: 'after' });
    expect(recoveries).toBe(1);
    expect(await cache.read(key, async () => ({ name: 'unused' }))).toEqual({ name: 'after' });
    redis.disconnect();
    await server.stop();
  });
});
