/**
 * The PostgreSQL pool as Prometheus sees it: its sizes, read from sequelize-pool when scraped,
 * and how long each query or transaction waited for a connection, timed between Sequelize's
 * beforePoolAcquire and afterPoolAcquire hooks (both receive the same options object, which
 * keys the start time; an acquire that times out leaves nothing behind but a collectable entry).
 */
import { performance } from 'node:perf_hooks';
import type { Sequelize } from 'sequelize';
import type { PoolCounts, TesseraMetrics } from './tessera-metrics.js';

function isPoolCounts(pool: unknown): pool is PoolCounts {
  return typeof pool === 'object' && pool !== null && typeof (pool as PoolCounts).size === 'number';
}

export function observePool(sequelize: Sequelize, metrics: Pick<TesseraMetrics, 'sources' | 'poolAcquire'>): void {
  // sequelize-pool's Pool is not in Sequelize's types; without read replicas there is one.
  const manager = sequelize.connectionManager as unknown as { pool?: unknown };
  metrics.sources.pool = () => (isPoolCounts(manager.pool) ? manager.pool : undefined);

  const started = new WeakMap<object, number>();
  sequelize.addHook('beforePoolAcquire', (options) => {
    started.set(options, performance.now());
  });
  sequelize.addHook('afterPoolAcquire', (_connection, options) => {
    const start = started.get(options);
    if (start === undefined) return;
    started.delete(options);
    metrics.poolAcquire.observe((performance.now() - start) / 1000);
  });
}
