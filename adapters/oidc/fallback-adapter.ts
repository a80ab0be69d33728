/**
 * Short-lived artifacts in Redis, with PostgreSQL behind them: while Redis is away, new
 * artifacts are written to PostgreSQL and lookups that Redis cannot answer go there too, so
 * logins and token requests keep working. Consuming, destroying and revoking apply to both
 * stores; what Redis missed is replayed when it returns, so nothing revoked during an outage
 * comes back with it (on this node; see the README on several nodes).
 */
import { onAvailable, type RedisClient } from '../redis/client.js';
import type { RedisAdapter } from './redis-adapter.js';
import type { SequelizeAdapter } from './sequelize-adapter.js';
import type { AccountIndexedAdapter, AdapterPayload } from './types.js';

const REPLAY_RETRY_MS = 1_000;

/** Mutations Redis could not take, replayed in order once it is ready again, and retried until they pass. */
export class PendingRedisWrites {
  private readonly queue: Array<() => Promise<unknown>> = [];
  // Replays are asked for by every 'ready' (a Cluster's nodes each have theirs) and by the
  // retry timer; run side by side, two would each shift off a write the other had only started.
  private replays = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;

  constructor(redis: RedisClient) {
    onAvailable(redis, () => this.replaySoon());
  }

  add(write: () => Promise<unknown>) {
    this.queue.push(write);
    this.retryLater();
  }

  private replaySoon() {
    this.replays = this.replays.then(() => this.replay());
  }

  // 'ready' alone is not enough: a Cluster reconnects to a node that returns only when a
  // command needs it, so a quiet Cluster may never announce the node's return.
  private retryLater() {
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.replaySoon();
    }, REPLAY_RETRY_MS).unref();
  }

  private async replay() {
    while (this.queue.length > 0) {
      const write = this.queue[0]!;
      try {
        await write();
      } catch {
        this.retryLater();
        return;
      }
      this.queue.shift();
    }
  }
}

export class FallbackAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly redis: RedisAdapter,
    private readonly postgres: SequelizeAdapter,
    private readonly pending: PendingRedisWrites,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    try {
      await this.redis.upsert(id, payload, expiresIn);
    } catch {
      await this.postgres.upsert(id, payload, expiresIn);
    }
  }

  private async lookup(fromRedis: () => Promise<AdapterPayload | undefined | void>, fromPostgres: () => Promise<AdapterPayload | undefined>) {
    try {
      const found = await fromRedis();
      if (found) return found;
    } catch {
      // Redis is away: PostgreSQL holds whatever was written meanwhile.
    }
    return fromPostgres();
  }

  find(id: string) {
    return this.lookup(() => this.redis.find(id), () => this.postgres.find(id));
  }

  findByUid(uid: string) {
    return this.lookup(() => this.redis.findByUid(uid), () => this.postgres.findByUid(uid));
  }

  findByUserCode(userCode: string) {
    return this.lookup(() => this.redis.findByUserCode(userCode), () => this.postgres.findByUserCode(userCode));
  }

  private async both(onRedis: () => Promise<unknown>, onPostgres: () => Promise<unknown>): Promise<void> {
    await onPostgres();
    try {
      await onRedis();
    } catch {
      this.pending.add(onRedis);
    }
  }

  consume(id: string) {
    return this.both(() => this.redis.consume(id), () => this.postgres.consume(id));
  }

  destroy(id: string) {
    return this.both(() => this.redis.destroy(id), () => this.postgres.destroy(id));
  }

  revokeByGrantId(grantId: string) {
    return this.both(() => this.redis.revokeByGrantId(grantId), () => this.postgres.revokeByGrantId(grantId));
  }

  async idsByAccount(accountId: string): Promise<string[]> {
    const fromPostgres = await this.postgres.idsByAccount(accountId);
    const fromRedis = await this.redis.idsByAccount(accountId).catch(() => []);
    return [...new Set([...fromRedis, ...fromPostgres])];
  }
}
