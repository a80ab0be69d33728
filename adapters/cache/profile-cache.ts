/**
 * The read-through profile cache, one entry per user (profile and identities together): Redis
 * when configured, else an in-process LRU, behind one interface. A version per user, bumped
 * by every committed write, keeps a read that started before the write from storing what it
 * read after the write invalidated it; so the cache never serves a profile older than the
 * last committed write. A Redis error counts as a miss, never as a failed request.
 */
import type { RedisClient } from '../redis/client.js';
import { boundedLru } from './bounded-lru.js';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

export interface ProfileCache<T extends object> {
  /** The cached value, or the loader's, stored unless a write invalidated it meanwhile. */
  read(id: string, loader: () => Promise<T | undefined>): Promise<T | undefined>;
  /** Called after a write commits. */
  invalidate(id: string): Promise<void>;
  /** The user's version, read before a write whose new value is to be kept (refill); undefined when it cannot be read. */
  versionOf(id: string): Promise<string | undefined>;
  /**
   * Stores the value a write returned, once that write has invalidated the entry, unless any
   * other write invalidated it since `before` (the version read before the write): a value read
   * in the write's own statement is then as fresh as the last committed write.
   */
  refill(id: string, value: T, before: string | undefined): Promise<void>;
  stats(): CacheStats;
}

export interface CacheOptions {
  ttlSeconds: number;
  onUnavailable?: (error: Error) => void;
  onRecovered?: () => void;
}

export function createMemoryProfileCache<T extends object>(options: CacheOptions & { max: number }): ProfileCache<T> {
  const entries = boundedLru<T>(options.max, { ttl: options.ttlSeconds * 1000 });
  // Versions outlive entries so an in-flight read of an evicted user still sees a later write.
  const versions = boundedLru<number>(options.max * 4);
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  return {
    async read(id, loader) {
      const cached = entries.get(id);
      if (cached) {
        stats.hits += 1;
        return cached;
      }
      stats.misses += 1;
      const before = versions.get(id) ?? 0;
      const value = await loader();
      if (value && (versions.get(id) ?? 0) === before) entries.set(id, value);
      return value;
    },
    async invalidate(id) {
      versions.set(id, (versions.get(id) ?? 0) + 1);
      entries.delete(id);
    },
    versionOf: async (id) => String(versions.get(id) ?? 0),
    async refill(id, value, before) {
      if (before !== undefined && versions.get(id) === Number(before) + 1) entries.set(id, value);
    },
    stats: () => ({ ...stats }),
  };
}

// Sets the entry only if the user's version is still the one read before loading.
const SET_IF_VERSION = `
local current = redis.call('GET', KEYS[2]) or '0'
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
`;

// Sets the entry only if the user's version is one past the one read before the write: its own invalidation, no other.
const SET_IF_NEXT_VERSION = `
local current = redis.call('GET', KEYS[2]) or '0'
if tonumber(current) == tonumber(ARGV[1]) + 1 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
`;

const VERSION_TTL_SECONDS = 24 * 60 * 60;

/**
 * Users whose last parsed entry each node keeps beside the text it came from. A signed-in user's
 * profile is read on every userinfo call; comparing the text Redis returns costs less than
 * parsing it again, and leaves less garbage. Callers share the value, as they share the
 * in-process LRU's.
 */
const PARSED_ENTRIES = 1_000;

export function createRedisProfileCache<T extends object>(redis: RedisClient, options: CacheOptions): ProfileCache<T> {
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  let healthy = true;
  // Invalidations that failed while Redis was away; applied before anything is served again.
  const pending = new Set<string>();
  // The hash tag keeps a user's entry and version in one cluster slot, as the script needs.
  const entryKey = (id: string) => `profile:{${id}}`;
  const versionKey = (id: string) => `profile-version:{${id}}`;
  const parsed = boundedLru<{ text: string; value: T }>(PARSED_ENTRIES);

  function parse(id: string, text: string): T {
    const last = parsed.get(id);
    if (last?.text === text) return last.value;
    const value = JSON.parse(text) as T;
    parsed.set(id, { text, value });
    return value;
  }

  function failed(error: unknown) {
    stats.errors += 1;
    if (healthy) {
      healthy = false;
      options.onUnavailable?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  function succeeded() {
    if (!healthy) {
      healthy = true;
      options.onRecovered?.();
    }
  }

  // One MULTI per user: a user's keys share a slot, different users' keys need not.
  function bump(id: string) {
    return redis.multi().incr(versionKey(id)).expire(versionKey(id), VERSION_TTL_SECONDS).del(entryKey(id)).exec();
  }

  // The bump under way for a user: a flush meanwhile waits for it rather than sending another, so
  // n concurrent invalidations (a bulk import's) send n bumps, not n per invalidation.
  const underWay = new Map<string, Promise<unknown>>();

  function bumpNow(id: string): Promise<unknown> {
    const sent = bump(id);
    underWay.set(id, sent);
    const forget = () => {
      if (underWay.get(id) === sent) underWay.delete(id);
    };
    sent.then(forget, forget);
    return sent;
  }

  async function flushPending() {
    await Promise.all(
      [...pending].map(async (id) => {
        await (underWay.get(id) ?? bumpNow(id));
        pending.delete(id);
      }),
    );
  }

  return {
    async read(id, loader) {
      let cached: [string | null, string | null] | undefined;
      try {
        await flushPending();
        const [entry, version] = await redis.mget(entryKey(id), versionKey(id));
        cached = [entry ?? null, version ?? null];
        succeeded();
      } catch (error) {
        failed(error);
      }
      if (cached?.[0]) {
        stats.hits += 1;
        return parse(id, cached[0]);
      }
      stats.misses += 1;
      const value = await loader();
      if (value && cached) {
        await redis
          .eval(SET_IF_VERSION, 2, entryKey(id), versionKey(id), cached[1] ?? '0', JSON.stringify(value), options.ttlSeconds)
          .catch(failed);
      }
      return value;
    },

    async invalidate(id) {
      pending.add(id);
      try {
        // A bump of its own, sent after this write committed: one under way may have been sent before.
        await bumpNow(id);
        pending.delete(id);
        await flushPending();
        succeeded();
      } catch (error) {
        failed(error);
      }
    },

    async versionOf(id) {
      try {
        await flushPending();
        return (await redis.get(versionKey(id))) ?? '0';
      } catch (error) {
        failed(error);
        return undefined;
      }
    },

    async refill(id, value, before) {
      if (before === undefined) return;
      await redis
        .eval(SET_IF_NEXT_VERSION, 2, entryKey(id), versionKey(id), before, JSON.stringify(value), options.ttlSeconds)
        .catch(failed);
    },

    stats: () => ({ ...stats }),
  };
}
