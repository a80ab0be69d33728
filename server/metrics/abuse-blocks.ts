/**
 * Counts the refusals of server/abuse/ by wrapping its limits from outside: a `RetryLater`
 * thrown by the login attempts (brute force, failures per IP), by the sign-up and reset requests,
 * by the client-secret guard, or by the management API's rate limit is one block. The limits
 * themselves stay unaware of metrics.
 */
import type Provider from 'oidc-provider';
import type { AbuseLimits } from '../abuse/abuse-limits.js';
import { retryAfterOf } from '../abuse/retry-later.js';
import type { TesseraMetrics } from './tessera-metrics.js';

type Count = { inc(): void };

async function counting<T>(work: Promise<T>, blocks: Count): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (retryAfterOf(error) !== undefined) blocks.inc();
    throw error;
  }
}

export function countAbuseBlocks(limits: AbuseLimits, metrics: Pick<TesseraMetrics, 'abuseBlocks'>): AbuseLimits {
  const login = metrics.abuseBlocks.labels('login_attempts');
  const clientAuthentication = metrics.abuseBlocks.labels('client_authentication');
  const managementRate = metrics.abuseBlocks.labels('management_rate');
  const accountRequestsBlocked = metrics.abuseBlocks.labels('account_requests');
  const { loginAttempts, accountRequests, guardClientSecrets, requestLimit } = limits;
  return {
    loginAttempts: { ...loginAttempts, begin: (subject, ip) => counting(loginAttempts.begin(subject, ip), login) },
    accountRequests: { take: (ip, address) => counting(accountRequests.take(ip, address), accountRequestsBlocked) },
    requestLimit: { take: (caller) => counting(requestLimit.take(caller), managementRate) },
    // A person's own ceiling on email-change links, not an attack on the server: not counted.
    emailChanges: limits.emailChanges,
    guardClientSecrets: (provider: Provider) => {
      guardClientSecrets(provider);
      const guarded = provider.Client.prototype.compareClientSecret;
      provider.Client.prototype.compareClientSecret = function countedCompare(this: InstanceType<Provider['Client']>, actual: string) {
        return counting(Promise.resolve(guarded.call(this, actual)), clientAuthentication);
      };
    },
  };
}
