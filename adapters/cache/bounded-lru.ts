/**
 * An LRU cache of at most `entries` entries, for every in-process cache here. Bounded by size
 * (each entry counting one) rather than by lru-cache's `max`: with `max`, lru-cache allocates
 * its slot arrays for all `max` entries up front, and deleting the last entry held refills them
 * whole. On a quiet node that was every login (its interaction is the only one held when the
 * login ends): about 150 µs at 50,000 entries (docs/benchmarks.md). Counted by size, the limit and
 * the eviction order are the same and the arrays grow only as far as entries are held.
 */
import { LRUCache } from 'lru-cache';

export type BoundedLruOptions<V extends {}> = Pick<LRUCache.Options<string, V, unknown>, 'ttl' | 'dispose' | 'ttlAutopurge'>;

export function boundedLru<V extends {}>(entries: number, options: BoundedLruOptions<V> = {}): LRUCache<string, V> {
  return new LRUCache<string, V>({ ...options, maxSize: entries, sizeCalculation: () => 1 });
}
