import { Redis } from 'ioredis';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

/** Wrong passwords for `username` on one login page; the status of each answer. */
async function guess(config: oidc.Configuration, username: string, times: number, password = 'wrong password') {
  const opened = await openLoginPage(config, 'openid');
  if (!isPage(opened.page)) throw new Error('expected the login page');
  let page = opened.page;
  const statuses: number[] = [];
  for (let attempt = 0; attempt < times; attempt += 1) {
    const next = await opened.browser.submit(page, { username, password }, REDIRECT_URI);
    if (!isPage(next)) return [...statuses, 303];
    statuses.push(next.status);
    page = next;
  }
  return statuses;
}

describe('abuse counters with Redis', () => {
  let tessera: TestTessera;
  let config: oidc.Configuration;
  let redis: Redis;

  beforeAll(async () => {
    tessera = await startTestTessera({ redis: true });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await tessera?.stop();
  });

  it('keeps the counts in Redis under the issuer, where every node reads them', async () => {
    const user = await createUser(tessera);
    expect(await guess(config, user.email, 3)).toEqual([401, 401, 401]);
    const keys = await redis.keys(`abuse:${tessera.issuer}:login-failures:*${user.email}*`);
    expect(keys).toHaveLength(1);
    expect(await redis.get(keys[0]!)).toBe('3');
  });
});

describe('abuse counters while Redis is down', () => {
  let redisServer: RedisServer;
  let tessera: TestTessera;
  let config: oidc.Configuration;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    tessera = await startTestTessera({ redis: redisServer.url });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await redisServer?.stop();
  });

  it('counts in this process instead: logins are served, and the 11th attempt is still refused', async () => {
    const [user, other] = [await createUser(tessera), await createUser(tessera)];
    await redisServer.stop();
    expect(await guess(config, user.email, 11)).toEqual([...Array<number>(10).fill(401), 429]);
    expect(await guess(config, other.email, 1, other.password)).toEqual([303]);
  });
});
