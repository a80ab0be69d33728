/**
 * oidc-provider storage in Redis for short-lived models. Each artifact is a hash (payload and
 * consumed time, so consume is one atomic HSET) expiring with the artifact; grants, user
 * codes and uids are secondary keys pointing at it.
 */
import type { Redis } from 'ioredis';
import type { AccountIndexedAdapter, AdapterPayload } from './types.js';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

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
// setting in one script leaves no gap for the key to expire in between.
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
end
return 0
`;

// MULTI/EXEC replies with each command's error beside its result instead of rejecting.
function throwIfFailed(results: [error: Error | null, result: unknown][] | null): void {
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
}

// Models an account's revocation must find: its sessions and its grants.
const ACCOUNT_INDEXED = new Set(['Session', 'Grant']);

export class RedisAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly model: string,
    private readonly redis: Redis,
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

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const multi = this.redis.multi();
    multi.del(key);
    multi.hset(key, 'payload', JSON.stringify(payload));
    if (expiresIn) multi.expire(key, expiresIn);

    if (GRANTABLE.has(this.model) && payload.grantId) {
      multi.eval(ADD_TO_INDEX, 1, RedisAdapter.grantKey(payload.grantId), key, expiresIn || 0);
    }
    if (ACCOUNT_INDEXED.has(this.model) && payload.accountId) {
      multi.eval(ADD_TO_INDEX, 1, this.accountKey(payload.accountId), id, expiresIn || 0);
    }
    for (const pointer of [payload.userCode && `oidc:userCode:${payload.userCode}`, payload.uid && `oidc:uid:${payload.uid}`]) {
      if (!pointer) continue;
      if (expiresIn) multi.set(pointer, id, 'EX', expiresIn);
      else multi.set(pointer, id);
    }
    throwIfFailed(await multi.exec());
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const data = await this.redis.hgetall(this.key(id));
    if (!data.payload) return undefined;
    const payload = JSON.parse(data.payload) as AdapterPayload;
    return data.consumed ? { ...payload, consumed: Number(data.consumed) } : payload;
  }

  async findByUid(uid: string) {
    const id = await this.redis.get(`oidc:uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string) {
    const id = await this.redis.get(`oidc:userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.redis.eval(CONSUME, 1, this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = RedisAdapter.grantKey(grantId);
    const keys = await this.redis.lrange(grantKey, 0, -1);
    const multi = this.redis.multi();
    for (const key of keys) multi.del(key);
    multi.del(grantKey);
    throwIfFailed(await multi.exec());
  }

  async idsByAccount(accountId: string): Promise<string[]> {
    const ids = [...new Set(await this.redis.lrange(this.accountKey(accountId), 0, -1))];
    if (ids.length === 0) return [];
    const alive = await Promise.all(ids.map((id) => this.redis.exists(this.key(id))));
    return ids.filter((_, index) => alive[index]);
  }
}
