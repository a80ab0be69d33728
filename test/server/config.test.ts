import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

const SEALING_KEY = Buffer.alloc(32, 1).toString('base64');
const DATABASE_URL = 'postgres://tessera@db.example.com/tessera';

describe('configuration', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      issuer: 'http://localhost:3000',
      databaseUrl: undefined,
      dataDir: path.resolve('.data'),
      redisUrls: undefined,
      adminClient: undefined,
      rulesDir: undefined,
      logLevel: 'info',
    });
  });

  it('derives the issuer from PORT and honours an explicit ISSUER', () => {
    expect(loadConfig({ PORT: '4000' }).issuer).toBe('http://localhost:4000');
    expect(loadConfig({ PORT: '4000', ISSUER: 'https://id.example.com' }).issuer).toBe('https://id.example.com');
  });

  it('splits a comma list of Redis cluster nodes', () => {
    expect(loadConfig({ REDIS_URL: 'redis://a:7000, redis://b:7001' }).redisUrls).toEqual(['redis://a:7000', 'redis://b:7001']);
  });

  it('sets the abuse limits to their documented defaults, each settable', () => {
    expect(loadConfig({}).limits).toMatchObject({
      bruteForceMaxAttempts: 10,
      bruteForceBlockSeconds: 3600,
      loginIpMaxFailures: 100,
      loginIpWindowSeconds: 3600,
      tokenClientMaxFailures: 10,
      tokenClientBlockSeconds: 900,
      managementRateLimit: 10_000,
      managementRateWindowSeconds: 60,
      passwordHashQueue: 256,
    });
    expect(loadConfig({}).limits.passwordHashConcurrency).toBeGreaterThan(0);
    expect(loadConfig({ BRUTE_FORCE_MAX_ATTEMPTS: '5', PASSWORD_HASH_QUEUE: '0' }).limits).toMatchObject({
      bruteForceMaxAttempts: 5,
      passwordHashQueue: 0,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('reads REFRESH_TOKEN_REUSE_INTERVAL in seconds: 0 unless set, at most 300', () => {
    expect(loadConfig({}).refreshTokenReuseInterval).toBe(0);
    expect(loadConfig({ REFRESH_TOKEN_REUSE_INTERVAL: '30' }).refreshTokenReuseInterval).toBe(30);
    expect(() => loadConfig({ REFRESH_TOKEN_REUSE_INTERVAL: '301' })).toThrow(/REFRESH_TOKEN_REUSE_INTERVAL/);
    expect(() => loadConfig({ REFRESH_TOKEN_REUSE_INTERVAL: '-1' })).toThrow(/REFRESH_TOKEN_REUSE_INTERVAL/);
  });

  it.each([
    ['PORT', { PORT: '70000' }],
    ['ISSUER', { ISSUER: 'not a url' }],
    ['ISSUER', { ISSUER: 'https://id.example.com/' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }],
    ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['ADMIN_CLIENT_SECRET', { ADMIN_CLIENT_ID: 'admin' }],
    ['SEALING_KEY', { SEALING_KEY: Buffer.alloc(16).toString('base64') }],
    ['SEALING_KEY_PREVIOUS', { SEALING_KEY: SEALING_KEY, SEALING_KEY_PREVIOUS: 'not-a-key' }],
    ['BRUTE_FORCE_MAX_ATTEMPTS', { BRUTE_FORCE_MAX_ATTEMPTS: '0' }],
    ['MANAGEMENT_RATE_LIMIT', { MANAGEMENT_RATE_LIMIT: 'many' }],
  ])('rejects a bad %s with a message naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it.each(['x', 'a'.repeat(31)])('refuses an ADMIN_CLIENT_SECRET of %j, shorter than 32 characters, naming the variable', (secret) => {
    expect(() => loadConfig({ ADMIN_CLIENT_ID: 'admin', ADMIN_CLIENT_SECRET: secret })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_CLIENT_ID: 'admin', ADMIN_CLIENT_SECRET: secret })).toThrow(
      /ADMIN_CLIENT_SECRET: must be at least 32 characters/,
    );
    expect(loadConfig({ ADMIN_CLIENT_ID: 'admin', ADMIN_CLIENT_SECRET: 'a'.repeat(32) }).adminClient?.clientSecret).toBe('a'.repeat(32));
  });

  it('requires SEALING_KEY with DATABASE_URL, in one line saying how to make one', () => {
    expect(() => loadConfig({ DATABASE_URL })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL })).toThrow(
      /^invalid configuration: SEALING_KEY is required with DATABASE_URL \(make one with `openssl rand -base64 32`[^\n]*$/,
    );
    expect(loadConfig({ DATABASE_URL, SEALING_KEY }).sealingKey).toEqual(Buffer.alloc(32, 1));
  });

  it('leaves the sealing key to DATA_DIR without DATABASE_URL, and reads a previous key only beside a new one', () => {
    expect(loadConfig({}).sealingKey).toBeUndefined();
    const previous = Buffer.alloc(32, 2);
    expect(loadConfig({ SEALING_KEY, SEALING_KEY_PREVIOUS: previous.toString('base64') }).previousSealingKey).toEqual(previous);
    expect(() => loadConfig({ SEALING_KEY_PREVIOUS: previous.toString('base64') })).toThrow(/SEALING_KEY_PREVIOUS/);
  });
});
