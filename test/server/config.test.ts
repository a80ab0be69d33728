import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('applies SPEC.md defaults when nothing is set', () => {
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
  ])('rejects a bad %s with a message naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
