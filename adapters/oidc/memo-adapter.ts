/**
 * Keeps recently read clients and grants in memory: every token request and userinfo call
 * reads both, and they change rarely. A write through this node forgets the entry at once and
 * tells the other nodes (`onChange`); an entry also expires on its own, which bounds what a
 * lost signal can leave stale. Tokens are never memoized: their lookup stays authoritative, so
 * a revoked token fails everywhere whatever grant is remembered.
 */
import { LRUCache } from 'lru-cache';
import type { AccountIndexedAdapter, AdapterFactory, AdapterPayload } from './types.js';

export const MEMOIZED_MODELS: ReadonlySet<string> = new Set(['Client', 'Grant']);

export interface Memo {
  cache: LRUCache<string, AdapterPayload>;
  /** Per id, bumped by every write, so a read that raced a write does not store what it read. */
  versions: LRUCache<string, number>;
}

export function createMemo(max: number, ttlMs: number): Memo {
  return { cache: new LRUCache({ max, ttl: ttlMs }), versions: new LRUCache({ max: max * 4 }) };
}

export function forget(memo: Memo, key: string): void {
  memo.versions.set(key, (memo.versions.get(key) ?? 0) + 1);
  memo.cache.delete(key);
}

/**
 * A deep copy of a payload, which the stores hand over as parsed JSON. oidc-provider builds
 * models from the payload and changes nested parts (a grant's scopes), which must not reach the
 * memo. A tenth of the cost of structuredClone on these small payloads.
 */
function copy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key]);
    // A plain assignment to "__proto__" would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
    else result[key] = item;
  }
  return result as T;
}

export class MemoAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly model: string,
    private readonly inner: AccountIndexedAdapter,
    private readonly memo: Memo,
    private readonly onChange: (key: string) => void,
  ) {}

  private key(id: string) {
    return `${this.model}:${id}`;
  }

  private changed(id: string) {
    forget(this.memo, this.key(id));
    this.onChange(this.key(id));
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.key(id);
    const hit = this.memo.cache.get(key);
    if (hit) return copy(hit);
    const version = this.memo.versions.get(key) ?? 0;
    const found = (await this.inner.find(id)) ?? undefined;
    if (found && (this.memo.versions.get(key) ?? 0) === version) this.memo.cache.set(key, copy(found));
    return found;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await this.inner.upsert(id, payload, expiresIn);
    this.changed(id);
  }

  async destroy(id: string): Promise<void> {
    await this.inner.destroy(id);
    this.changed(id);
  }

  async consume(id: string): Promise<void> {
    await this.inner.consume(id);
    this.changed(id);
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return this.inner.revokeByGrantId(grantId);
  }

  findByUid(uid: string) {
    return this.inner.findByUid(uid);
  }

  findByUserCode(userCode: string) {
    return this.inner.findByUserCode(userCode);
  }

  idsByAccount(accountId: string) {
    return this.inner.idsByAccount(accountId);
  }
}

/** Wraps a factory so clients and grants are memoized; every other model passes through. */
export function memoizeFactory(factory: AdapterFactory, memo: Memo, onChange: (key: string) => void): AdapterFactory {
  return (modelName) => {
    const adapter = factory(modelName);
    return MEMOIZED_MODELS.has(modelName) ? new MemoAdapter(modelName, adapter, memo, onChange) : adapter;
  };
}
