/**
 * Codes and refresh tokens are redeemable once, also under concurrency (RFC 9700 §4.14.2).
 * oidc-provider reads the artifact, refuses it if marked consumed, and only later consumes it:
 * requests that read it in between all passed. Here the store's consume decides (PostgreSQL's
 * conditional UPDATE, one row, any node) and a request that loses it is treated as what it is, a
 * second redemption: the grant is revoked, with every token it issued, and the request gets
 * invalid_grant with no new token (consume comes first in each grant handler). At /token a
 * refresh token's consume is the statement that writes its successors (deferred-writes.ts):
 * the tokens land only where it marked the old one, and the loser is told here what it is.
 * A refresh token's reuse interval (REFRESH_TOKEN_REUSE_INTERVAL) is the one exception.
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
import { errors } from 'oidc-provider';
import { deferRedemption } from '../../adapters/oidc/deferred-writes.js';
import { GRANT_BOUND_MODELS } from '../../adapters/oidc/grant-bound-models.js';
import {
  type AccountIndexedAdapter,
  type AdapterFactory,
  type AdapterPayload,
  AlreadyConsumed,
  type ConsumesOnce,
} from '../../adapters/oidc/types.js';

export interface SingleUseOptions {
  /**
   * Seconds after its first use during which a refresh token may be used again without counting
   * as reuse (Auth0's "reuse interval"): for clients that refresh from several tabs at once.
   * Each use within it gets new tokens. 0, the default, allows no second use.
   */
  refreshTokenReuseInterval: number;
}

// What oidc-provider says when it catches a second redemption itself.
const REUSED: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code already consumed',
  RefreshToken: 'refresh token already used',
  DeviceCode: 'device code already consumed',
  BackchannelAuthenticationRequest: 'backchannel authentication request already consumed',
};

const consumesOnce = (adapter: AccountIndexedAdapter): adapter is AccountIndexedAdapter & ConsumesOnce =>
  typeof (adapter as Partial<ConsumesOnce>).consumeOnce === 'function';

class SingleUseAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly model: string,
    private readonly inner: AccountIndexedAdapter & ConsumesOnce,
    private readonly reused: string,
    private readonly revokeGrant: (grantId: string) => Promise<void>,
    private readonly reuseInterval: number,
  ) {}

  private withinReuseInterval(consumedAt: unknown): boolean {
    return this.reuseInterval > 0 && typeof consumedAt === 'number' && Date.now() / 1000 - consumedAt < this.reuseInterval;
  }

  async consume(id: string): Promise<void> {
    // In a token request, the statement that writes the new tokens consumes it (deferred-writes.ts).
    if (deferRedemption(this.model, id, () => this.secondRedemption(id))) return;
    let outcome: 'consumed' | 'absent';
    try {
      outcome = await this.inner.consumeOnce(id);
    } catch (error) {
      if (!(error instanceof AlreadyConsumed)) throw error;
      return this.secondUse(error.grantId, error.consumedAt);
    }
    // oidc-provider found it a moment ago: gone since means another redemption revoked its grant.
    if (outcome === 'absent') throw new errors.InvalidGrant(this.reused);
  }

  /** A deferred consume that another redemption got to first: a second use, as a consume that lost. */
  private async secondRedemption(id: string): Promise<void> {
    const found = await this.inner.find(id);
    return this.secondUse(found?.grantId, found?.consumed);
  }

  /** Let through within the reuse interval; otherwise the grant is revoked and the request refused. */
  private async secondUse(grantId: string | undefined, consumedAt: unknown): Promise<void> {
    if (this.withinReuseInterval(consumedAt)) return;
    if (grantId) await this.revokeGrant(grantId);
    throw new errors.InvalidGrant(this.reused);
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    return this.inner.upsert(id, payload, expiresIn);
  }

  // oidc-provider refuses a token marked consumed before it consumes: within the reuse interval
  // the mark is left out, and consume above lets the second use through.
  async find(id: string) {
    const found = await this.inner.find(id);
    if (!found || !this.withinReuseInterval(found.consumed)) return found;
    const { consumed: _firstUse, ...unused } = found;
    return unused;
  }

  findByUid(uid: string) {
    return this.inner.findByUid(uid);
  }

  findByUserCode(userCode: string) {
    return this.inner.findByUserCode(userCode);
  }

  destroy(id: string) {
    return this.inner.destroy(id);
  }

  revokeByGrantId(grantId: string) {
    return this.inner.revokeByGrantId(grantId);
  }

  idsByAccount(accountId: string) {
    return this.inner.idsByAccount(accountId);
  }
}

/**
 * Wraps the outermost factory, so the revocation goes through the same adapters (and memo) as
 * oidc-provider's own and reaches the other nodes' memos.
 */
export function singleUseRedemption(factory: AdapterFactory, { refreshTokenReuseInterval }: SingleUseOptions): AdapterFactory {
  const adapters = new Map<string, AccountIndexedAdapter>();
  const adapterFor = (model: string) => {
    let adapter = adapters.get(model);
    if (!adapter) {
      adapter = factory(model);
      adapters.set(model, adapter);
    }
    return adapter;
  };
  const revokeGrant = async (grantId: string) => {
    await Promise.all([
      ...GRANT_BOUND_MODELS.map((model) => adapterFor(model).revokeByGrantId(grantId)),
      adapterFor('Grant').destroy(grantId),
    ]);
  };
  return (model) => {
    const adapter = adapterFor(model);
    const reused = REUSED[model];
    if (!reused || !consumesOnce(adapter)) return adapter;
    return new SingleUseAdapter(model, adapter, reused, revokeGrant, model === 'RefreshToken' ? refreshTokenReuseInterval : 0);
  };
}
