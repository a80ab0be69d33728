import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { createClient } from '../support/fixtures.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

function machineClient(tessera: TestTessera) {
  return createClient(tessera, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
}

/** A client_credentials request to `url` from `ip`, the secret in the Authorization header or, with `post`, in the body. */
async function tokenAt(url: string, clientId: string, secret: string, ip: string, post = false) {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': ip,
      ...(post ? {} : { authorization: basicAuthorization({ clientId, clientSecret: secret }) }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(post ? { client_id: clientId, client_secret: secret } : {}) }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, string>,
  };
}

describe('client secret guessing at /token', () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => tessera?.stop());

  const token = (clientId: string, secret: string, ip: string, post = false) => tokenAt(tessera.issuer, clientId, secret, ip, post);

  it('answers 429 invalid_client with Retry-After from the 11th wrong secret of 20, and to the right secret from that IP', async () => {
    const client = await machineClient(tessera);
    const answers = [];
    for (let attempt = 1; attempt <= 20; attempt += 1) answers.push(await token(client.client_id, `guess-${attempt}`, '203.0.113.10'));
    expect(answers.map((answer) => answer.status)).toEqual([...Array<number>(10).fill(401), ...Array<number>(10).fill(429)]);
    expect(answers[10]!.body['error']).toBe('invalid_client');
    expect(answers[10]!.body['error_description']).toContain('too many failed client authentications');
    expect(Number(answers[10]!.retryAfter)).toBeGreaterThan(0);

    const right = await token(client.client_id, client.client_secret, '203.0.113.10');
    expect(right.status).toBe(429);
    expect(right.body).not.toHaveProperty('access_token');
  });

  it('counts secrets sent in the body as well', async () => {
    const client = await machineClient(tessera);
    const statuses = [];
    for (let attempt = 1; attempt <= 11; attempt += 1)
      statuses.push((await token(client.client_id, `guess-${attempt}`, '203.0.113.11', true)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
    expect((await token(client.client_id, client.client_secret, '203.0.113.11', true)).status).toBe(429);
  });

  it('leaves the client free from other IPs, and other clients from that IP', async () => {
    const [target, other] = [await machineClient(tessera), await machineClient(tessera)];
    for (let attempt = 1; attempt <= 11; attempt += 1) await token(target.client_id, `guess-${attempt}`, '203.0.113.12');
    expect((await token(target.client_id, target.client_secret, '203.0.113.12')).status).toBe(429);

    const elsewhere = await token(target.client_id, target.client_secret, '198.51.100.12');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body['access_token']).toEqual(expect.any(String));
    expect((await token(other.client_id, other.client_secret, '203.0.113.12')).status).toBe(200);
  });

  it('starts the count again after a right secret', async () => {
    const client = await machineClient(tessera);
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await token(client.client_id, 'wrong', '203.0.113.13')).status).toBe(401);
    expect((await token(client.client_id, client.client_secret, '203.0.113.13')).status).toBe(200);
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await token(client.client_id, 'wrong', '203.0.113.13')).status).toBe(401);
  });
});

describe('client secret guessing across nodes sharing Redis', () => {
  let redisServer: RedisServer;
  const nodes: TestTessera[] = [];

  beforeAll(async () => {
    redisServer = await startRedisServer();
    const first = await startTestTessera({ redis: redisServer.url, env: { TRUST_PROXY: '1' } });
    nodes.push(first);
    nodes.push(
      await startTestTessera({ databaseUrl: first.databaseUrl, redis: redisServer.url, env: { TRUST_PROXY: '1', ISSUER: first.issuer } }),
    );
  });
  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await redisServer?.stop();
  });

  it('refuses the right secret on one node after ten wrong ones on the other, and counts a right secret on either as a fresh start', async () => {
    const [first, second] = nodes as [TestTessera, TestTessera];
    const client = await machineClient(first);
    for (let attempt = 1; attempt <= 9; attempt += 1)
      expect((await tokenAt(first.url, client.client_id, 'wrong', '203.0.113.20')).status).toBe(401);
    expect((await tokenAt(second.url, client.client_id, client.client_secret, '203.0.113.20')).status).toBe(200);
    for (let attempt = 1; attempt <= 10; attempt += 1)
      expect((await tokenAt(first.url, client.client_id, 'wrong', '203.0.113.20')).status).toBe(401);

    const refused = await tokenAt(second.url, client.client_id, client.client_secret, '203.0.113.20');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await tokenAt(second.url, client.client_id, client.client_secret, '198.51.100.20')).status).toBe(200);
  });

  it('keeps refusing on the node that counted while Redis is down', async () => {
    const [first] = nodes as [TestTessera];
    const client = await machineClient(first);
    await redisServer.stop();
    const statuses = [];
    for (let attempt = 1; attempt <= 11; attempt += 1)
      statuses.push((await tokenAt(first.url, client.client_id, 'wrong', '203.0.113.21')).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
    expect((await tokenAt(first.url, client.client_id, client.client_secret, '203.0.113.21')).status).toBe(429);
  });
});
