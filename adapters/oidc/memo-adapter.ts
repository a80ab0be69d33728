/**
 * Keeps recently read clients and grants in memory: every token request and userinfo call
 * reads both, and they change rarely. A write through this node forgets the entry at once and
 * tells the other nodes (`onChange`); an entry also expires on its own, which bounds what a
 * lost signal can leave stale.
 *
 * Access tokens and sessions are memoized only on a single node (no Redis): there every consume,
 * destroy and revocation of one goes through this node's adapter and forgets it here, so a
 * revoked token or ended session fails at once. With several nodes a revocation elsewhere would
 * not, so their lookup stays authoritative.
 *
 * On a single node, sessions and grants are also kept as they are written (write-through): a
 * login writes its session and grant and reads both back within the same flow, and those reads
 * would otherwise each cost a statement. With several nodes, only a grant the write created is
 * (MemoAdapter.upsert).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../cache/bounded-lru.js';
import { copyPayload } from './payload-copy.js';
import { type AccountIndexedAdapter, type AdapterFactory, type AdapterPayload, type ReportsCreation, reportsCreation } from './types.js';

export const MEMOIZED_MODELS: ReadonlySet<string> = new Set(['Client', 'Grant']);
export const SINGLE_NODE_MEMOIZED_MODELS: ReadonlySet<string> = new Set([...MEMOIZED_MODELS, 'AccessToken', 'Session']);
/** Kept as written when the memo writes through. Not access tokens: most are never read again, and would crowd the memo. */
const WRITTEN_THROUGH_MODELS: ReadonlySet<string> = new Set(['Grant', 'Session']);

export interface Memo {
  cache: LRUCache<string, AdapterPayload>;
  /** Per id, bumped by every write, so a read that raced a write does not store what it read. */
  versions: LRUCache<string, number>;
  /** The memoized entries of each grant, so revoking a grant forgets its tokens. */
  byGrant: Map<string, Set<string>>;
  /** The memoized entry of each `model:uid`: every interaction page checks its session by uid. */
  byUid: Map<string, string>;
  /** Bumped by every revocation by grant: a read that raced one does not store what it read. */
  grantRevocations: number;
  /** Whether each read waits for the next turn of the event loop first (see MemoAdapter.find). */
  readonly readsOnNextTurn: boolean;
  /** Whether every write of the store goes through this memo (one node), so what is written may be kept. */
  readonly writesThrough: boolean;
  /** Per id, the writes under way: a write that overlapped another is not kept, since either may have landed last. */
  readonly writing: Map<string, number>;
}

export function createMemo(max: number, ttlMs: number, { readsOnNextTurn = false, writesThrough = false } = {}): Memo {
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const cache = boundedLru<AdapterPayload>(max, {
    ttl: ttlMs,
    // Evicted, expired, replaced or forgotten: the indexes hold only what the cache holds.
    dispose: (payload, key) => {
      const uidKey = uidKeyOf(key, payload);
      if (uidKey && byUid.get(uidKey) === key) byUid.delete(uidKey);
      const grantId = payload.grantId;
      if (!grantId) return;
      const keys = byGrant.get(grantId);
      keys?.delete(key);
      if (keys?.size === 0) byGrant.delete(grantId);
    },
  });
  return {
    cache,
    versions: boundedLru<number>(max * 4),
    byGrant,
    byUid,
    grantRevocations: 0,
    readsOnNextTurn,
    writesThrough,
    writing: new Map(),
  };
}

/** `model:uid` for an entry `model:id` whose payload has a uid. */
function uidKeyOf(key: string, payload: AdapterPayload): string | undefined {
  return typeof payload.uid === 'string' ? `${key.slice(0, key.indexOf(':'))}:${payload.uid}` : undefined;
}

export function forget(memo: Memo, key: string): void {
  memo.versions.set(key, (memo.versions.get(key) ?? 0) + 1);
  memo.cache.delete(key);
}

/** `expiresIn`: the seconds the store was told, for a payload written without its own `exp`. */
function remember(memo: Memo, key: string, payload: AdapterPayload, expiresIn = 0): void {
  const ttl = typeof payload.exp === 'number' ? payload.exp * 1000 - Date.now() : expiresIn > 0 ? expiresIn * 1000 : undefined;
  if (ttl !== undefined && ttl <= 0) return;
  memo.cache.set(key, payload, ttl === undefined ? {} : { ttl: Math.min(ttl, memo.cache.ttl) });
  const uidKey = uidKeyOf(key, payload);
  if (uidKey) memo.byUid.set(uidKey, key);
  if (!payload.grantId) return;
  const keys = memo.byGrant.get(payload.grantId) ?? new Set<string>();
  keys.add(key);
  memo.byGrant.set(payload.grantId, keys);
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
    if (hit && !expired(hit)) return copyPayload(hit);
    const version = this.memo.versions.get(key) ?? 0;
    const revocations = this.memo.grantRevocations;
    const found = (await this.inner.find(id)) ?? undefined;
    if (found && (this.memo.versions.get(key) ?? 0) === version && this.memo.grantRevocations === revocations) {
      remember(this.memo, key, copyPayload(found));
    }
    return found;
  }

  /**
   * On one node every write comes through here, so a session or grant is kept as written. With
   * several nodes each write is announced, so that the others forget their copies; this node
   * hears its own signal too, and would forget what it kept. There only a row the write created
   * is kept, and not announced: no node can hold a copy of what did not exist. A login creates
   * its grant and reads it back at once.
   */
  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const creations = this.memo.writesThrough ? undefined : this.reportingCreations();
    const keepable = WRITTEN_THROUGH_MODELS.has(this.model) && (this.memo.writesThrough || creations !== undefined);
    if (!keepable) {
      await this.inner.upsert(id, payload, expiresIn);
      this.changed(id);
      return;
    }
    const key = this.key(id);
    // The store and the memo get the same snapshot: oidc-provider may change its model after save.
    const written = copyPayload(payload);
    const overlapping = this.memo.writing.get(key) ?? 0;
    this.memo.writing.set(key, overlapping + 1);
    // Forgotten before the write too, so a read under way does not keep what it read before it.
    forget(this.memo, key);
    const version = this.memo.versions.get(key);
    const revocations = this.memo.grantRevocations;
    let created = false;
    try {
      if (creations) created = (await creations.save(id, written, expiresIn)) === 'created';
      else await this.inner.upsert(id, written, expiresIn);
    } finally {
      const left = (this.memo.writing.get(key) ?? 1) - 1;
      if (left === 0) this.memo.writing.delete(key);
      else this.memo.writing.set(key, left);
    }
    // Kept only when no other write, destroy, consume or revocation touched it meanwhile.
    const alone = overlapping === 0 && this.memo.versions.get(key) === version && this.memo.grantRevocations === revocations;
    const kept = alone && (this.memo.writesThrough || created);
    if (!(kept && created)) this.changed(id);
    if (kept) remember(this.memo, key, written, expiresIn);
  }

  /** The store, when it tells whether a write created its row. */
  private reportingCreations(): ReportsCreation | undefined {
    return reportsCreation(this.inner) ? this.inner : undefined;
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

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (this.memo.readsOnNextTurn) await nextTurn();
    const key = this.memo.byUid.get(`${this.model}:${uid}`);
    const hit = key === undefined ? undefined : this.memo.cache.get(key);
    if (hit && !expired(hit) && hit.uid === uid) return copyPayload(hit);
    return (await this.inner.findByUid(uid)) ?? undefined;
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
