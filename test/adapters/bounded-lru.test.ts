import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { boundedLru } from '../../adapters/cache/bounded-lru.js';

describe('boundedLru', () => {
  it('holds at most its number of entries, letting the least recently used go first', () => {
    const cache = boundedLru<string>(3);
    for (const key of ['a', 'b', 'c']) cache.set(key, key.toUpperCase());
    cache.get('a');
    cache.set('d', 'D');
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
    for (let i = 0; i < 100; i += 1) cache.set(`k${i}`, String(i));
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(['k97', 'k98', 'k99']);
  });

  it('empties and fills again, the last entry deleted as any other', () => {
    const cache = boundedLru<number>(50_000);
    for (let round = 0; round < 3; round += 1) {
      cache.set('only', round);
      expect(cache.get('only')).toBe(round);
      expect(cache.delete('only')).toBe(true);
      expect(cache.size).toBe(0);
      expect(cache.get('only')).toBeUndefined();
    }
  });

  it('tells dispose of what it evicts and deletes, and lets entries expire after their time', async () => {
    const disposed: string[] = [];
    const cache = boundedLru<string>(2, { ttl: 60_000, dispose: (_value, key) => disposed.push(key) });
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.set('c', 'C');
    cache.delete('b');
    expect(disposed).toEqual(['a', 'b']);

    cache.set('short', 'S', { ttl: 20 });
    expect(cache.get('short')).toBe('S');
    await sleep(60);
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('c')).toBe('C');
  });
});
