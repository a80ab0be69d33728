/**
 * The storage contract oidc-provider expects of an adapter, one instance per model name.
 * @see https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

export type { Adapter, AdapterPayload };

/** Also finds an account's artifacts, so a deleted or blocked user's sessions and grants can be revoked. */
export interface AccountIndexedAdapter extends Adapter {
  idsByAccount(accountId: string): Promise<string[]>;
}

/** Thrown by a store's consume when the artifact was consumed already. */
export class AlreadyConsumed extends Error {
  constructor(
    readonly grantId: string | undefined,
    /** When it was consumed first, in epoch seconds. */
    readonly consumedAt: number | undefined,
  ) {
    super('already consumed');
    this.name = 'AlreadyConsumed';
  }
}

/**
 * A store that decides consumption once: 'consumed' for the one caller that marked it,
 * AlreadyConsumed for any other, 'absent' when there is no such live artifact.
 */
export interface ConsumesOnce {
  consumeOnce(id: string): Promise<'consumed' | 'absent'>;
}

/**
 * A store that tells whether a write created its row or replaced one. A row created just now
 * has no copy on any node to go stale (no node memoizes an artifact that is absent), so its
 * writer may keep it without telling the others (MemoAdapter.upsert).
 */
export interface ReportsCreation {
  save(id: string, payload: AdapterPayload, expiresIn: number): Promise<'created' | 'replaced'>;
}

export const reportsCreation = (adapter: object): adapter is ReportsCreation & object =>
  typeof (adapter as Partial<ReportsCreation>).save === 'function';

export type AdapterFactory = (modelName: string) => AccountIndexedAdapter;

// Models read on nearly every request and living minutes to days, so worth a copy in Redis in
// front of their PostgreSQL record; grants and clients are memoized in process instead, and
// refresh tokens are read once per refresh.
export const SHORT_LIVED_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Interaction',
  'AuthorizationCode',
  'AccessToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'ReplayDetection',
]);
