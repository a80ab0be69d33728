/**
 * /readyz: whether this node can serve requests, PostgreSQL and a configured Redis both
 * answering. A load balancer leaves a node out while it answers 503 and takes it back at 200;
 * /healthz, liveness only, stays 200 meanwhile, so an orchestrator does not restart a process
 * for an outage a restart cannot fix.
 */
import type { Middleware } from 'koa';
import type { RedisClient } from '../adapters/redis/client.js';
import type { Database } from '../adapters/sequelize/database.js';
import { withinDeadline } from './deadline.js';

// Well under a load balancer's usual probe timeout, so a store that hangs reads as down.
const PROBE_TIMEOUT_MS = 2_000;

export type StoreState = 'up' | 'down' | 'not configured';

export interface Readiness {
  ready: boolean;
  postgres: StoreState;
  redis: StoreState;
}

export type ReadinessProbe = () => Promise<Readiness>;

/** A probe that fails or does not answer in time reads as down. */
function answers(probe: Promise<unknown>): Promise<StoreState> {
  return withinDeadline(
    PROBE_TIMEOUT_MS,
    () => probe,
    () => new Error('no answer in time'),
  ).then(
    (): StoreState => 'up',
    (): StoreState => 'down',
  );
}

export function createReadinessProbe(database: Pick<Database, 'ping'>, redis: RedisClient | undefined): ReadinessProbe {
  return async () => {
    const [postgres, redisState] = await Promise.all([
      answers(database.ping()),
      redis ? answers(redis.ping()) : Promise.resolve<StoreState>('not configured'),
    ]);
    return { ready: postgres === 'up' && redisState !== 'down', postgres, redis: redisState };
  };
}

/** 200 or 503 (with Retry-After, from the error pages) and the state of each store. */
export function readinessEndpoint(probe: ReadinessProbe): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/readyz') return next();
    const { ready, ...stores } = await probe();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', ...stores };
  };
}
