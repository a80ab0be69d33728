/**
 * users.events at scale: a node reads the Redis stream on one connection however many feeds it
 * serves, and caps the feeds it serves and those one caller holds.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, clientCredentialsToken, managementClient } from '../support/management-client.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startTestTessera } from '../support/tessera.js';

type Client = ReturnType<typeof managementClient>;
/** How a feed failed: the tRPC code and HTTP status when the error carried them. */
type Failure = { code: string | undefined; httpStatus: number | undefined; message: string };
type Feed = { started: Promise<void>; events: string[]; failed: Promise<Failure>; stop(): void };

function open(client: Client): Feed {
  const events: string[] = [];
  let started!: () => void;
  let failed!: (error: Failure) => void;
  const feed = {
    started: new Promise<void>((resolve) => (started = resolve)),
    failed: new Promise<Failure>((resolve) => (failed = resolve)),
    events,
  };
  const subscription = client.users.events.subscribe(
    {},
    {
      onStarted: () => started(),
      onData: (tracked) => void events.push(tracked.data.user_id),
      onError: (error) => {
        subscription.unsubscribe();
        const data = (error as { data?: { code?: string; httpStatus?: number } }).data;
        failed({ code: data?.code, httpStatus: data?.httpStatus, message: error.message });
      },
    },
  );
  return { ...feed, stop: () => subscription.unsubscribe() };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('users.events subscribers', () => {
  let redisServer: RedisServer;
  let probe: Redis;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let first: Client;
  let second: Client;
  const feeds: Feed[] = [];
  let baseline = 0;

  const redisClients = async () =>
    String(await probe.client('LIST'))
      .split('\n')
      .filter((line: string) => line.includes('cmd=')).length;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    probe = new Redis(redisServer.url);
    tessera = await startTestTessera({ redis: redisServer.url, env: { EVENT_SUBSCRIBERS_MAX: '5', EVENT_SUBSCRIBERS_PER_CALLER: '3' } });
    admin = await adminClient(tessera.issuer);
    first = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer, 'read:users'));
    const other = await admin.clients.create.mutate({
      name: 'second reader',
      grant_types: ['client_credentials'],
      management_scopes: ['read:users'],
    });
    second = managementClient(
      tessera.issuer,
      await clientCredentialsToken(tessera.issuer, 'read:users', { clientId: other.client_id, clientSecret: other.client_secret! }),
    );
  });
  afterAll(async () => {
    for (const feed of feeds) feed.stop();
    await tessera?.stop();
    probe?.disconnect();
    await redisServer?.stop();
  });

  it('serves five feeds on one node through one Redis connection, each receiving every event', async () => {
    const before = await redisClients();
    baseline = before;
    for (const client of [first, first, first, second, second]) feeds.push(open(client));
    await Promise.all(feeds.map((feed) => feed.started));
    // The shared reader connects once the first feed asks; give it its moment.
    await until(async () => (await redisClients()) > before, 'the shared reader');
    const user = await admin.users.create.mutate({
      connection: 'Username-Password',
      email: 'fan-out@example.com',
      password: 'a long password',
    });
    await until(() => feeds.every((feed) => feed.events.includes(user.user_id!)), 'every feed to receive the event');
    expect((await redisClients()) - before).toBe(1);
  });

  it('refuses a caller’s fourth feed and the node’s sixth with TOO_MANY_REQUESTS, and frees a slot when a feed closes', async () => {
    const fourth = open(first);
    expect(await fourth.failed).toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('at most 3') });
    const sixth = open(second);
    expect(await sixth.failed).toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('at most 5') });

    feeds.shift()!.stop();
    const again = open(first);
    feeds.push(again);
    await again.started;
    const user = await admin.users.create.mutate({
      connection: 'Username-Password',
      email: 'after-close@example.com',
      password: 'a long password',
    });
    await until(() => again.events.includes(user.user_id!), 'the reopened feed to receive the event');
  });

  it('closes the shared reader once the last feed closes', async () => {
    for (const feed of feeds.splice(0)) feed.stop();
    await until(async () => (await redisClients()) === baseline, 'the shared reader to close');
  });
});
