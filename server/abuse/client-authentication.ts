/**
 * Guessing client secrets at /token (and at introspection and revocation, which authenticate
 * clients the same way): after `maxFailures` wrong secrets for one client from one IP, that IP
 * may not authenticate as that client, right secret or not, for `blockSeconds`.
 *
 * Keyed by client and IP, not by client alone: a client_id is no secret, and a key of the
 * client alone would let anyone lock a confidential client out of its own token endpoint.
 *
 * The answer is 'client.too_many_authentications': HTTP 429 with Retry-After and
 * `{"error":"invalid_client"}`. RFC 6749 §5.2 has no code for too many attempts (`slow_down`
 * belongs to the device flow's polling, RFC 8628 §3.5); `invalid_client` is the code that says
 * the client's authentication was refused, so a client library stops rather than retries at
 * once, and the status and Retry-After say that it passes.
 */
import Provider from 'oidc-provider';
import { DomainOAuthError } from '../oidc/oauth-errors.js';
import { type CreateLimiter, secondsUntil } from './limiter-store.js';
import { RetryLater } from './retry-later.js';

export interface ClientAuthenticationLimits {
  maxFailures: number;
  blockSeconds: number;
}

export type ClientSecretGuard = (provider: Provider) => void;

/** The guard for each provider instance built (one per signing-key rotation); the counters are shared. */
export function createClientSecretGuard(
  createLimiter: CreateLimiter,
  { maxFailures, blockSeconds }: ClientAuthenticationLimits,
): ClientSecretGuard {
  const failures = createLimiter({ name: 'client-secret-failures', points: maxFailures, duration: blockSeconds });

  return (provider) => {
    const compare = provider.Client.prototype.compareClientSecret;
    // oidc-provider has no hook between finding the client and comparing its secret; this is
    // that point, and the only caller of compareClientSecret is client authentication.
    provider.Client.prototype.compareClientSecret = async function guardedCompare(this: InstanceType<Provider['Client']>, actual: string) {
      const ctx = Provider.ctx;
      const key = `${this.clientId}@${ctx?.ip ?? ''}`;
      const consumed = await failures.consumedPoints(key);
      if (consumed >= maxFailures) {
        const wait = secondsUntil((await failures.get(key))?.msBeforeNext ?? blockSeconds * 1000);
        ctx?.set('Retry-After', String(wait));
        throw new DomainOAuthError(
          new RetryLater(
            'client.too_many_authentications',
            `too many failed client authentications from this address; retry after ${wait} seconds`,
            wait,
          ),
        );
      }
      const matches = await compare.call(this, actual);
      if (matches) {
        if (consumed > 0) await failures.delete(key);
        return true;
      }
      const counted = await failures.penalty(key);
      // The block runs its full time from the last failure, not from the first.
      if (counted.consumedPoints >= maxFailures) await failures.block(key, blockSeconds);
      return false;
    };
  };
}
