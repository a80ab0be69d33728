/**
 * Every metric Tessera exposes, defined once in a registry of its own (several Tesseras share a
 * process in the tests, so nothing goes to prom-client's global registry). Values that already
 * exist elsewhere (the profile cache's counts, the PostgreSQL pool's sizes) are read when
 * Prometheus scrapes, so serving them costs nothing between scrapes. docs/metrics.md says what
 * each one means.
 * @see https://prometheus.io/docs/practices/naming/
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CacheStats } from '../../adapters/cache/profile-cache.js';
import { createCheapHistogram } from './cheap-histogram.js';

/** The PostgreSQL pool's counts at one instant (sequelize-pool's getters). */
export interface PoolCounts {
  /** Open connections, in use or idle. */
  size: number;
  /** Connections handed out to a query or a transaction. */
  using: number;
  /** Callers waiting for a connection. */
  waiting: number;
  maxSize: number;
}

/** What the scrape reads from the rest of Tessera; bound once the pool and the cache exist. */
export interface MetricSources {
  pool?: () => PoolCounts | undefined;
  profileCache?: () => CacheStats;
}

// From a cached document (under a millisecond) to a login waiting on a slow directory.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ACQUIRE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export function createTesseraMetrics() {
  const registry = new Registry();
  // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_*, heap and GC.
  collectDefaultMetrics({ register: registry });
  const sources: MetricSources = {};
  const registers = [registry];

  // Observed on every request: the cheap kind.
  const requestDuration = createCheapHistogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from receiving a request on the issuer port to its handler finishing, by route and status class.',
    labelNames: ['route', 'status'],
    buckets: LATENCY_BUCKETS,
    registry,
  });
  const tokensIssued = new Counter({
    name: 'tessera_tokens_issued_total',
    help: 'Successful token endpoint answers, by grant type.',
    labelNames: ['grant_type'] as const,
    registers,
  });
  const logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Login attempts by connection and how they ended.',
    labelNames: ['connection', 'outcome'] as const,
    registers,
  });
  const abuseBlocks = new Counter({
    name: 'tessera_abuse_blocks_total',
    help: 'Requests refused by a brute-force block or a rate limit, by limit.',
    labelNames: ['limit'] as const,
    registers,
  });
  // The cache counts for itself; a scrape copies its totals (reset, then the total: a counter has no set).
  new Counter({
    name: 'tessera_profile_cache_lookups_total',
    help: 'Profile cache lookups by result: hit, or miss (read from PostgreSQL, a Redis error included).',
    labelNames: ['result'] as const,
    registers,
    collect() {
      const stats = sources.profileCache?.();
      if (!stats) return;
      this.reset();
      this.inc({ result: 'hit' }, stats.hits);
      this.inc({ result: 'miss' }, stats.misses);
    },
  });
  new Counter({
    name: 'tessera_profile_cache_errors_total',
    help: 'Redis errors met by the profile cache (each one served from PostgreSQL, or a write left to expire).',
    registers,
    collect() {
      const stats = sources.profileCache?.();
      if (!stats) return;
      this.reset();
      this.inc(stats.errors);
    },
  });
  new Gauge({
    name: 'tessera_db_pool_connections',
    help: 'PostgreSQL pool connections: open (in use or idle), in_use, waiting callers, and the pool maximum.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = sources.pool?.();
      if (!pool) return;
      this.set({ state: 'open' }, pool.size);
      this.set({ state: 'in_use' }, pool.using);
      this.set({ state: 'waiting' }, pool.waiting);
      this.set({ state: 'max' }, pool.maxSize);
    },
  });
  const poolAcquire = createCheapHistogram({
    name: 'tessera_db_pool_acquire_seconds',
    help: 'Time a query or transaction waited for a PostgreSQL connection from the pool.',
    labelNames: [],
    buckets: ACQUIRE_BUCKETS,
    registry,
  }).series();

  return { registry, sources, requestDuration, tokensIssued, logins, abuseBlocks, poolAcquire };
}

export type TesseraMetrics = ReturnType<typeof createTesseraMetrics>;
