/**
 * oidc-provider storage in Redis for short-lived models. Each artifact is a hash (payload and
 * consumed time, so consume is one atomic HSET) expiring with the artifact; grants, user
 * codes and uids are secondary keys pointing at it.
 */
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from './types.js';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export class RedisAdapter implements Adapter {
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

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const multi = this.redis.multi();
    multi.del(key);
    multi.hset(key, 'payload', JSON.stringify(payload));
    if (expiresIn) multi.expire(key, expiresIn);

    if (GRANTABLE.has(this.model) && payload.grantId) {
      const grantKey = RedisAdapter.grantKey(payload.grantId);
      multi.rpush(grantKey, key);
      // The grant list must outlive its longest member: set a TTL if it has none, else only extend.
      if (expiresIn) {
        multi.expire(grantKey, expiresIn, 'NX');
        multi.expire(grantKey, expiresIn, 'GT');
      } else {
        multi.persist(grantKey);
      }
    }
    for (const pointer of [payload.userCode && `oidc:userCode:${payload.userCode}`, payload.uid && `oidc:uid:${payload.uid}`]) {
      if (!pointer) continue;
      if (expiresIn) multi.set(pointer, id, 'EX', expiresIn);
      else multi.set(pointer, id);
    }
    await multi.exec();
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
    const key = this.key(id);
    // HSET on a missing key would create a payload-less hash that never expires.
    if (await this.redis.exists(key)) await this.redis.hset(key, 'consumed', Math.floor(Date.now() / 1000));
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
    await multi.exec();
  }
}
