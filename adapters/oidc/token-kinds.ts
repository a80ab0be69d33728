/**
 * Which kind of token an id belongs to. Introspection and revocation without a
 * `token_type_hint` look a token up as an access token, a client-credentials token and a
 * refresh token at once (oidc-provider's lib/helpers/token_find.js); two of the three lookups
 * must miss, and each miss is a PostgreSQL read (or a Redis read and a PostgreSQL read).
 *
 * Token ids are random values oidc-provider generates, unique across models, so an id seen as
 * one kind can never be another: a lookup of it as another kind is answered "absent" from
 * memory. Only that negative answer is served from here; whether the token still exists is
 * always asked of the store, so a revocation on any node is seen at once.
 */
import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../cache/bounded-lru.js';
import type { AccountIndexedAdapter, AdapterFactory, AdapterPayload } from './types.js';

const TOKEN_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken']);
const REMEMBERED_IDS = 50_000;

class TokenKindAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly model: string,
    private readonly inner: AccountIndexedAdapter,
    private readonly kinds: LRUCache<string, string>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await this.inner.upsert(id, payload, expiresIn);
    this.kinds.set(id, this.model);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const kind = this.kinds.get(id);
    if (kind !== undefined && kind !== this.model) return undefined;
    const found = (await this.inner.find(id)) ?? undefined;
    if (found) this.kinds.set(id, this.model);
    return found;
  }

  consume(id: string) {
    return this.inner.consume(id);
  }

  destroy(id: string) {
    return this.inner.destroy(id);
  }

  revokeByGrantId(grantId: string) {
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

/** Wraps a factory so the token models share one index of the ids they have seen; other models pass through. */
export function indexTokenKinds(factory: AdapterFactory, max = REMEMBERED_IDS): AdapterFactory {
  const kinds = boundedLru<string>(max);
  return (modelName) => {
    const adapter = factory(modelName);
    return TOKEN_MODELS.has(modelName) ? new TokenKindAdapter(modelName, adapter, kinds) : adapter;
  };
}
