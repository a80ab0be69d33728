/**
 * oidc-provider storage in Redis for short-lived models. Each artifact is a hash (payload and
 * consumed time, so consume is one atomic HSET) expiring with the artifact; grants, user
 * codes and uids are secondary keys pointing at it.
 *
 * Cluster-safe: each command, script and MULTI touches one key. Secondary keys are found by
 * their own ids (a grant id, a uid), so no hash tag could put them in their artifact's slot;
 * upsert orders its writes instead of making them one transaction.
 */
import type { RedisClient } from '../redis/client.js';
import { GRANT_BOUND_MODELS } from './grant-bound-models.js';
import { type AccountIndexedAdapter, type AdapterPayload, AlreadyConsumed, type ConsumesOnce } from './types.js';

const GRANT_BOUND = new Set(GRANT_BOUND_MODELS);

// Appends an artifact key to an index list (a grant's artifacts, an account's sessions and
// grants). The list must outlive its longest member: a new
// list takes the member's TTL, an existing one is only extended (GT), and a member that never
// expires makes the list persistent, which GT then leaves alone. (EXPIRE NX cannot tell a new
// list from a persistent one, and would put a TTL on a list holding a never-expiring member.)
const ADD_TO_INDEX = `
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl == 0 then
  redis.call('PERSIST', KEYS[1])
elseif length == 1 then
  redis.call('EXPIRE', KEYS[1], ttl)
else
  redis.call('EXPIRE', KEYS[1], ttl, 'GT')
end
return length
`;

// HSET on a missing key would create a payload-less hash that never expires; checking and
// setting in one script leaves no gap for the key to expire in between. 0: absent, 1: consumed
// now, 2: consumed before (the first time stays).
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) == 1 then
  return 1
end
return 2
`;

// Puts back an artifact Redis lost, read from PostgreSQL: only if the key is still absent, so a
// newer write that got there first is never replaced by what was read before it.
const RESTORE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'consumed', ARGV[2])
end
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return 1
`;

// Replaces an artifact: the old payload's consumed mark goes with it, and the hash never lacks
// its TTL. One script rather than MULTI/DEL/HSET/EXPIRE/EXEC: five commands for the client to
// build and parse on every token issued, for the same atomicity.
const REPLACE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
if tonumber(ARGV[2]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
`;

// Models an account's revocation must find: its sessions and its grants.
const ACCOUNT_INDEXED = new Set(['Session', 'Grant']);

export class RedisAdapter implements AccountIndexedAdapter, ConsumesOnce {
  constructor(
    readonly model: string,
    private readonly redis: RedisClient,
  ) {}

  private key(id: string) {
    return `oidc:${this.model}:${id}`;
  }

  private static grantKey(grantId: string) {
    return `oidc:grant:${grantId}`;
  }

  private accountKey(accountId: string) {
    return `oidc:account:${this.model}:${accountId}`;
  }

  // Pointers first: a failure part-way leaves at most a pointer to an artifact that is not
  // there, which every reader takes as absent, never an artifact its revocation cannot find.
  private async point(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const pointers: Array<Promise<unknown>> = [];
    if (GRANT_BOUND.has(this.model) && payload.grantId) {
      pointers.push(this.redis.eval(ADD_TO_INDEX, 1, RedisAdapter.grantKey(payload.grantId), key, expiresIn || 0));
    }
    if (ACCOUNT_INDEXED.has(this.model) && payload.accountId) {
      pointers.push(this.redis.eval(ADD_TO_INDEX, 1, this.accountKey(payload.accountId), id, expiresIn || 0));
    }
    for (const pointer of [payload.userCode && `oidc:userCode:${payload.userCode}`, payload.uid && `oidc:uid:${payload.uid}`]) {
      if (!pointer) continue;
      pointers.push(expiresIn ? this.redis.set(pointer, id, 'EX', expiresIn) : this.redis.set(pointer, id));
    }
    await Promise.all(pointers);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    await this.point(id, payload, expiresIn);
    // Atomic, so no reader sees the old payload's consumed mark on the new one, or a hash without its TTL.
    await this.redis.eval(REPLACE, 1, key, JSON.stringify(payload), expiresIn || 0);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const data = await this.redis.hgetall(this.key(id));
    if (!data['payload']) return undefined;
    const payload = JSON.parse(data['payload']) as AdapterPayload;
    return data['consumed'] ? { ...payload, consumed: Number(data['consumed']) } : payload;
  }

  async findByUid(uid: string) {
    const id = await this.redis.get(`oidc:uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string) {
    const id = await this.redis.get(`oidc:userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  /** Writes an artifact back unless the key exists by now; `payload.consumed` becomes the consumed mark. */
  async restore(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { consumed, ...stored } = payload;
    await this.point(id, stored, expiresIn);
    await this.redis.eval(RESTORE, 1, this.key(id), JSON.stringify(stored), consumed === undefined ? '' : String(consumed), expiresIn || 0);
  }

  async consumeOnce(id: string): Promise<'consumed' | 'absent'> {
    const outcome = await this.redis.eval(CONSUME, 1, this.key(id), Math.floor(Date.now() / 1000));
    if (outcome === 2) {
      const found = await this.find(id);
      throw new AlreadyConsumed(found?.grantId, found?.consumed);
    }
    return outcome === 1 ? 'consumed' : 'absent';
  }

  async consume(id: string): Promise<void> {
    await this.redis.eval(CONSUME, 1, this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = RedisAdapter.grantKey(grantId);
    const keys = new Set(await this.redis.lrange(grantKey, 0, -1));
    // The artifacts hash to slots of their own, so one DEL each (no multi-key DEL or MULTI);
    // the list goes last, so a revocation cut short by an outage finds them all when replayed.
    await Promise.all([...keys].map((key) => this.redis.del(key)));
    await this.redis.del(grantKey);
  }

  async idsByAccount(accountId: string): Promise<string[]> {
    const ids = [...new Set(await this.redis.lrange(this.accountKey(accountId), 0, -1))];
    if (ids.length === 0) return [];
    const alive = await Promise.all(ids.map((id) => this.redis.exists(this.key(id))));
    return ids.filter((_, index) => alive[index]);
  }
}
