/**
 * Builds every abuse limit from the configuration over one store (Redis when configured, else
 * this process), and sets this process's password-hashing bound.
 */
import type { RedisClient } from '../../adapters/redis/client.js';
import type { Config } from '../config.js';
import { limitPasswordHashing } from '../passwords.js';
import { ADDRESS_MAX, ADDRESS_WINDOW_SECONDS, createAccountRequests } from './account-requests.js';
import { createClientSecretGuard } from './client-authentication.js';
import { createEmailChangeLimit } from './email-change-limit.js';
import { createLimiterFactory } from './limiter-store.js';
import { createLoginAttempts } from './login-attempts.js';
import { createRequestLimit } from './request-limit.js';

export function createAbuseLimits(redis: RedisClient | undefined, config: Pick<Config, 'issuer' | 'limits'>) {
  const { limits } = config;
  const createLimiter = createLimiterFactory(redis, config.issuer);
  limitPasswordHashing(limits.passwordHashConcurrency, limits.passwordHashQueue);
  return {
    loginAttempts: createLoginAttempts(createLimiter, {
      maxAttempts: limits.bruteForceMaxAttempts,
      blockSeconds: limits.bruteForceBlockSeconds,
      ipMaxFailures: limits.loginIpMaxFailures,
      ipWindowSeconds: limits.loginIpWindowSeconds,
    }),
    accountRequests: createAccountRequests(createLimiter, {
      ipMax: limits.loginIpMaxFailures,
      ipWindowSeconds: limits.loginIpWindowSeconds,
      addressMax: ADDRESS_MAX,
      addressWindowSeconds: ADDRESS_WINDOW_SECONDS,
    }),
    guardClientSecrets: createClientSecretGuard(createLimiter, {
      maxFailures: limits.tokenClientMaxFailures,
      blockSeconds: limits.tokenClientBlockSeconds,
    }),
    emailChanges: createEmailChangeLimit(createLimiter),
    requestLimit: createRequestLimit(createLimiter, {
      points: limits.managementRateLimit,
      windowSeconds: limits.managementRateWindowSeconds,
    }),
  };
}

export type AbuseLimits = ReturnType<typeof createAbuseLimits>;
