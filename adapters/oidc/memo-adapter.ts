/**
 * Keeps recently read clients and grants in memory: every token request and userinfo call
 * reads both, and they change rarely. A write through this node forgets the entry at once and
 * tells the other nodes (`onChange`); an entry also expires on its own, which bounds what a
 * lost signal can leave stale.
 *
 * Access tokens are memoized only on a single node (no Redis): there every consume, destroy and
 * revocation of one goes through this node's adapter and forgets it here, so a revoked token
 * fails at once. With several nodes a revocation elsewhere would not, so their lookup stays
 * authoritative.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { AccountIndexedAdapter, AdapterFactory, AdapterPayload } from './types.js';

export const MEMOIZED_MODELS: ReadonlySet<string> = new Set(['Client', 'Grant']);
export const SINGLE_NODE_MEMOIZED_MODELS: ReadonlySet<string> = new Set([...MEMOIZED_MODELS, 'AccessToken']);

export interface Memo {
  cache: LRUCache<string, AdapterPayload>;
  /** Per id, bumped by every write, so a read that raced a write does not store what it read. */
  versions: LRUCache<string, number>;
  /** The memoized entries of each grant, so revoking a grant forgets its tokens. */
  byGrant: Map<string, Set<string>>;
  /** Bumped by every revocation by grant: a read that raced one does not store what it read. */
  grantRevocations: number;
  /** Whether each read waits for the next turn of the event loop first (see MemoAdapter.find). */
  readonly readsOnNextTurn: boolean;
}

export function createMemo(max: number, ttlMs: number, { readsOnNextTurn = false } = {}): Memo {
  const byGrant = new Map<string, Set<string>>();
  const cache = new LRUCache<string, AdapterPayload>({
    max,
    ttl: ttlMs,
    // Evicted, expired, replaced or forgotten: the index holds only what the cache holds.
    dispose: (payload, key) => {
      const grantId = payload.grantId;
      if (!grantId) return;
      const keys = byGrant.get(grantId);
      keys?.delete(key);
      if (keys?.size === 0) byGrant.delete(grantId);
    },
  });
  return { cache, versions: new LRUCache({ max: max * 4 }), byGrant, grantRevocations: 0, readsOnNextTurn };
}

export function forget(memo: Memo, key: string): void {
  memo.versions.set(key, (memo.versions.get(key) ?? 0) + 1);
  memo.cache.delete(key);
}

function remember(memo: Memo, key: string, payload: AdapterPayload): void {
  const ttl = typeof payload.exp === 'number' ? payload.exp * 1000 - Date.now() : undefined;
  if (ttl !== undefined && ttl <= 0) return;
  memo.cache.set(key, payload, ttl === undefined ? {} : { ttl: Math.min(ttl, memo.cache.ttl) });
  if (!payload.grantId) return;
  const keys = memo.byGrant.get(payload.grantId) ?? new Set<string>();
  keys.add(key);
  memo.byGrant.set(payload.grantId, keys);
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

const expired = (payload: AdapterPayload) => typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now();

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
    // Without Redis, every lookup of a userinfo call is answered from memory, and each request
    // would run from its first byte to its response in one go. Waiting for the next turn, as a
    // store read does, lets the requests that arrived together take each lookup side by side:
    // under load that costs less CPU per request, for a little more latency per read when idle
    // (docs/benchmarks.md). With Redis, whose reads already wait, extra turns only slow it down.
    // The lookup comes after the wait, so it sees every write made meanwhile.
    if (this.memo.readsOnNextTurn) await nextTurn();
    const key = this.key(id);
    const hit = this.memo.cache.get(key);
    if (hit && !expired(hit)) return copy(hit);
    const version = this.memo.versions.get(key) ?? 0;
    const revocations = this.memo.grantRevocations;
    const found = (await this.inner.find(id)) ?? undefined;
    if (found && (this.memo.versions.get(key) ?? 0) === version && this.memo.grantRevocations === revocations) {
      remember(this.memo, key, copy(found));
    }
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

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.inner.revokeByGrantId(grantId);
    this.memo.grantRevocations += 1;
    const prefix = `${this.model}:`;
    for (const key of [...(this.memo.byGrant.get(grantId) ?? [])]) {
      if (key.startsWith(prefix)) forget(this.memo, key);
    }
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

/** Wraps a factory so the given models are memoized; every other model passes through. */
export function memoizeFactory(
  factory: AdapterFactory,
  memo: Memo,
  onChange: (key: string) => void,
  models: ReadonlySet<string> = MEMOIZED_MODELS,
): AdapterFactory {
  return (modelName) => {
    const adapter = factory(modelName);
    return models.has(modelName) ? new MemoAdapter(modelName, adapter, memo, onChange) : adapter;
  };
}
