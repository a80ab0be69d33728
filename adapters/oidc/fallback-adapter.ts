/**
 * Short-lived artifacts with PostgreSQL as their record and Redis as the fast path. Every write
 * goes to both; reads ask Redis first and PostgreSQL when Redis misses or is away. A miss for an
 * artifact PostgreSQL holds means Redis lost it (restarted empty, evicted): it is written back,
 * so only the first read after the loss pays for PostgreSQL, and a Redis restart logs nobody out.
 * Consuming, destroying and revoking apply to PostgreSQL first, then to Redis; what Redis missed
 * is replayed when it returns (on this node; see the README on several nodes), so nothing
 * revoked comes back from either store.
 */
import { onAvailable, type RedisClient } from '../redis/client.js';
import type { RedisAdapter } from './redis-adapter.js';
import type { SequelizeAdapter, StoredArtifact } from './sequelize-adapter.js';
import { type AccountIndexedAdapter, type AdapterPayload, AlreadyConsumed, type ConsumesOnce } from './types.js';

const REPLAY_RETRY_MS = 1_000;

// The models oidc-provider upserts again under an id it has saved before (a session at each
// login, an interaction at each step, a device code or CIBA request once approved).
const SAVED_AGAIN: ReadonlySet<string> = new Set(['Session', 'Interaction', 'DeviceCode', 'BackchannelAuthenticationRequest']);

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
    for (let write = this.queue[0]; write !== undefined; write = this.queue[0]) {
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

export class FallbackAdapter implements AccountIndexedAdapter, ConsumesOnce {
  /** Ids being written back to Redis, so the requests that miss together write once. */
  private readonly restoring = new Set<string>();

  constructor(
    private readonly redis: RedisAdapter,
    private readonly postgres: SequelizeAdapter,
    private readonly pending: PendingRedisWrites,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    // Side by side: a write costs the slower of the two stores, not their sum.
    const [recorded, cached] = await Promise.allSettled([
      this.postgres.upsert(id, payload, expiresIn),
      this.redis.upsert(id, payload, expiresIn),
    ]);
    if (recorded.status === 'rejected') {
      // Unrecorded, so Redis must not serve it either (nor keep a version PostgreSQL lacks).
      if (cached.status === 'fulfilled') await this.redis.destroy(id).catch(() => this.pending.add(() => this.redis.destroy(id)));
      throw recorded.reason;
    }
    // Redis may still hold an older version (it was unreachable, not emptied): drop it when it
    // returns. Only models saved again under the same id can have one; a new token's id is new,
    // so the queue does not grow with every token issued during an outage.
    if (cached.status === 'rejected' && SAVED_AGAIN.has(this.redis.model)) this.pending.add(() => this.redis.destroy(id));
  }

  private async lookup(fromRedis: () => Promise<AdapterPayload | undefined>, fromPostgres: () => Promise<StoredArtifact | undefined>) {
    try {
      const found = await fromRedis();
      if (found) return found;
    } catch {
      // Redis is away: PostgreSQL holds everything, and writing back would fail too.
      return (await fromPostgres())?.payload;
    }
    const stored = await fromPostgres();
    if (stored) this.restoreSoon(stored);
    return stored?.payload;
  }

  private restoreSoon(stored: StoredArtifact) {
    if (this.restoring.has(stored.id)) return;
    this.restoring.add(stored.id);
    this.restore(stored)
      .catch(() => undefined)
      .finally(() => this.restoring.delete(stored.id));
  }

  // A destroy, revocation or consume that reaches PostgreSQL between the read and the write back
  // may have found nothing in Redis to remove: reading the record once more after writing back
  // sees it. (One that reaches PostgreSQL later reaches Redis later still, and finds the copy.)
  private async restore({ id, payload, expiresIn }: StoredArtifact) {
    await this.redis.restore(id, payload, expiresIn);
    const now = await this.postgres.findStored('id', id);
    if (!now) await this.redis.destroy(id);
    else if (now.payload.consumed && !payload.consumed) await this.redis.consume(id);
  }

  find(id: string) {
    return this.lookup(
      () => this.redis.find(id),
      () => this.postgres.findStored('id', id),
    );
  }

  findByUid(uid: string) {
    return this.lookup(
      () => this.redis.findByUid(uid),
      () => this.postgres.findStored('uid', uid),
    );
  }

  findByUserCode(userCode: string) {
    return this.lookup(
      () => this.redis.findByUserCode(userCode),
      () => this.postgres.findStored('user_code', userCode),
    );
  }

  private async both(onRedis: () => Promise<unknown>, onPostgres: () => Promise<unknown>): Promise<void> {
    await onPostgres();
    try {
      await onRedis();
    } catch {
      this.pending.add(onRedis);
    }
  }

  /** PostgreSQL decides; Redis only follows, except for an artifact written before PostgreSQL held them all. */
  async consumeOnce(id: string): Promise<'consumed' | 'absent'> {
    const recorded = await this.postgres.consumeOnce(id);
    let cached: 'consumed' | 'absent';
    try {
      cached = await this.redis.consumeOnce(id);
    } catch (error) {
      if (recorded === 'absent' && error instanceof AlreadyConsumed) throw error;
      if (!(error instanceof AlreadyConsumed)) this.pending.add(() => this.redis.consume(id));
      return recorded;
    }
    return recorded === 'consumed' ? recorded : cached;
  }

  async consume(id: string): Promise<void> {
    await this.both(
      () => this.redis.consume(id),
      () => this.postgres.consume(id),
    );
  }

  destroy(id: string) {
    return this.both(
      () => this.redis.destroy(id),
      () => this.postgres.destroy(id),
    );
  }

  revokeByGrantId(grantId: string) {
    return this.both(
      () => this.redis.revokeByGrantId(grantId),
      () => this.postgres.revokeByGrantId(grantId),
    );
  }

  async idsByAccount(accountId: string): Promise<string[]> {
    // Side by side: Redis only adds what it holds from before PostgreSQL held every artifact.
    const [fromPostgres, fromRedis] = await Promise.all([
      this.postgres.idsByAccount(accountId),
      this.redis.idsByAccount(accountId).catch(() => []),
    ]);
    return [...new Set([...fromRedis, ...fromPostgres])];
  }
}
