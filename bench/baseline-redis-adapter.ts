/**
 * The bare provider's storage when it is measured against Redis: the plainest Redis adapter, a
 * JSON string per artifact expiring with it, a list of keys per grant and a pointer per uid and
 * user code, one command (or one MULTI) per operation the library asks for, no memo. It answers
 * for Tessera's Redis figures what bench/baseline-postgres-adapter.ts answers for PostgreSQL:
 * how much of the gap to the in-memory provider any provider pays for keeping its tokens in
 * Redis. Unlike Tessera, it keeps nothing in PostgreSQL, so a Redis restart loses every token.
 */
import { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { BaselineStore } from './baseline-provider.js';

export async function openBaselineRedisStore(url: string): Promise<BaselineStore> {
  // Batched as Tessera's client batches its commands (adapters/redis/client.ts).
  const redis = new Redis(url, { enableAutoPipelining: true });
  await redis.ping();
  const key = (model: string, id: string) => `baseline:${model}:${id}`;
  const grantKey = (grantId: string) => `baseline:grant:${grantId}`;
  const pointerKey = (kind: 'uid' | 'userCode', model: string, value: string) => `baseline:${kind}:${model}:${value}`;

  class RedisAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const at = key(this.model, id);
      const written = [at];
      const multi = redis.multi().set(at, JSON.stringify(payload));
      if (payload.grantId) {
        multi.rpush(grantKey(payload.grantId), at);
        written.push(grantKey(payload.grantId));
      }
      for (const [kind, value] of [
        ['uid', payload.uid],
        ['userCode', payload.userCode],
      ] as const) {
        if (!value) continue;
        multi.set(pointerKey(kind, this.model, value), id);
        written.push(pointerKey(kind, this.model, value));
      }
      if (expiresIn) for (const target of written) multi.expire(target, expiresIn);
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = await redis.get(key(this.model, id));
      return stored ? (JSON.parse(stored) as AdapterPayload) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(pointerKey('uid', this.model, uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(pointerKey('userCode', this.model, userCode));
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const found = await this.find(id);
      if (found) await redis.set(key(this.model, id), JSON.stringify({ ...found, consumed: Math.floor(Date.now() / 1000) }), 'KEEPTTL');
    }

    async destroy(id: string): Promise<void> {
      await redis.del(key(this.model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const keys = await redis.lrange(grantKey(grantId), 0, -1);
      await redis.del(...keys, grantKey(grantId));
    }
  }

  return {
    adapter: RedisAdapter,
    async close() {
      await redis.quit();
    },
  };
}
