import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

async function readyz(issuer: string) {
  const response = await fetch(`${issuer}/readyz`);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, string>,
  };
}

describe('/readyz with Redis configured', () => {
  let redisPort: number;
  let redis: RedisServer;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedisServer(redisPort);
    tessera = await startTestTessera({ redis: redis.url });
  });
  afterAll(async () => {
    await tessera?.stop();
    await redis?.stop();
  });

  it('is ready while both stores answer, not while Redis is away, and ready again once it is back; /healthz stays 200', async () => {
    expect(await readyz(tessera.issuer)).toMatchObject({
      status: 200,
      retryAfter: null,
      body: { status: 'ready', postgres: 'up', redis: 'up' },
    });

    await redis.stop();
    expect(await readyz(tessera.issuer)).toMatchObject({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { status: 'not ready', postgres: 'up', redis: 'down' },
    });
    expect((await fetch(`${tessera.issuer}/healthz`)).status).toBe(200);

    redis = await startRedisServer(redisPort);
    await waitFor(async () => (await readyz(tessera.issuer)).status === 200, 15_000);
    expect((await readyz(tessera.issuer)).body).toMatchObject({ postgres: 'up', redis: 'up' });
  });
});
