/**
 * Everything Tessera keeps in Redis, on a real three-master Redis Cluster: REDIS_URL's comma
 * list opens an ioredis Cluster, and no operation may fail with CROSSSLOT. Ids are random and
 * many, so keys land on every node; PostgreSQL is checked to hold nothing Redis should have,
 * since the fallback adapters would otherwise hide a failed Redis write.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisProfileCache } from '../../adapters/cache/profile-cache.js';
import { createAdapterFactory } from '../../adapters/oidc/adapter-factory.js';
import { FallbackAdapter, PendingRedisWrites } from '../../adapters/oidc/fallback-adapter.js';
import { RedisAdapter } from '../../adapters/oidc/redis-adapter.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import type { AdapterFactory, AdapterPayload } from '../../adapters/oidc/types.js';
import { openRedis, type RedisClient } from '../../adapters/redis/client.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createRedisNodeSignals } from '../../server/events/node-signals.js';
import { createRedisEventBus } from '../../server/events/redis-event-bus.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { createClient, createUser } from '../support/fixtures.js';
import { storedGrant } from '../support/grants.js';
import { logSink } from '../support/log-sink.js';
import { adminClient } from '../support/management-client.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';
import { discover, login } from '../support/relying-party.js';
import { waitFor } from '../support/spawn-tessera.js';
import { takeEvents } from '../support/take-events.js';
import { startTestTessera } from '../support/tessera.js';

const silent = createLogger('silent');
const rid = (prefix: string) => `${prefix}-${randomUUID()}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Enough ids that, at three nodes, every node holds some of them. */
const MANY = 30;
const many = <T>(make: () => T): T[] => Array.from({ length: MANY }, make);

function artifact(kind: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = nowSeconds();
  return { jti: rid(kind), kind, clientId: 'client-app', iat, exp: iat + 3600, ...extra };
}

/** How many keys each master holds. */
async function keysPerNode(redis: RedisClient): Promise<number[]> {
  return Promise.all((redis as Cluster).nodes('master').map((node) => node.dbsize()));
}

/** The short-lived artifacts PostgreSQL holds: none, while Redis takes every write. */
async function artifactsInPostgres(database: Database, ids: string[]): Promise<number> {
  return database.models.OidcPayload.count({ where: { id: ids } });
}

describe('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let redis: RedisClient;
  let database: Database;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = await openRedis(cluster.urls, silent);
    database = await openDatabase(await createTestDatabase(), silent);
  });
  afterAll(async () => {
    await redis?.quit();
    await database?.close();
    await cluster?.stop();
  });

  it('opens an ioredis Cluster when REDIS_URL lists several nodes', () => {
    expect(redis).toBeInstanceOf(Cluster);
  });

  it('batches the commands issued together, each batch to the node that serves its keys', async () => {
    const keys = many(() => rid('batched'));
    const replies = Promise.all(keys.map((key) => redis.exists(key)));
    expect(redis.autoPipelineQueueSize).toBe(MANY);
    expect(await replies).toEqual(keys.map(() => 0));
  });

  describe('oidc-provider adapters', () => {
    let factory: AdapterFactory;
    beforeAll(() => {
      factory = createAdapterFactory(database.models, redis, randomBytes(32));
    });
    const grant = () => storedGrant(factory('Grant'));

    it('finds artifacts by id, uid and user code, consumes and destroys them, in Redis and in PostgreSQL, their record', async () => {
      const sessions = many(() => artifact('Session', { uid: rid('uid'), accountId: rid('account') }));
      const devices = many(() => artifact('DeviceCode', { userCode: randomBytes(4).toString('hex').toUpperCase() }));
      const grantId = await grant();
      const codes = many(() => artifact('AuthorizationCode', { grantId, accountId: rid('account') }));
      await Promise.all([
        ...sessions.map((payload) => factory('Session').upsert(payload.jti!, payload, 3600)),
        ...devices.map((payload) => factory('DeviceCode').upsert(payload.jti!, payload, 600)),
        ...codes.map((payload) => factory('AuthorizationCode').upsert(payload.jti!, payload, 60)),
      ]);

      for (const payload of sessions) {
        expect(await factory('Session').find(payload.jti!)).toEqual(payload);
        expect(await factory('Session').findByUid(payload.uid as string)).toEqual(payload);
      }
      for (const payload of devices) expect(await factory('DeviceCode').findByUserCode(payload.userCode as string)).toEqual(payload);
      for (const payload of codes) {
        await factory('AuthorizationCode').consume(payload.jti!);
        expect(await factory('AuthorizationCode').find(payload.jti!)).toMatchObject({ ...payload, consumed: expect.any(Number) });
      }
      for (const payload of sessions) {
        await factory('Session').destroy(payload.jti!);
        expect(await factory('Session').find(payload.jti!)).toBeUndefined();
        expect(await factory('Session').findByUid(payload.uid as string)).toBeUndefined();
      }

      const ids = [...sessions, ...devices, ...codes].map((payload) => payload.jti!);
      expect(await artifactsInPostgres(database, ids)).toBe(devices.length + codes.length);
      expect((await keysPerNode(redis)).every((count) => count > 0)).toBe(true);
    });

    it("revokes every artifact of a grant, spread over the nodes, and leaves another grant's alone", async () => {
      const revoked = await grant();
      const kept = await grant();
      const artifacts = [revoked, kept].flatMap((grantId) =>
        ['AccessToken', 'AuthorizationCode', 'RefreshToken'].flatMap((model) =>
          Array.from({ length: 10 }, () => ({ model, payload: artifact(model, { grantId, accountId: rid('account') }) })),
        ),
      );
      for (const { model, payload } of artifacts) await factory(model).upsert(payload.jti!, payload, 3600);

      // As oidc-provider's revoke helper does: every grantable model at once.
      await Promise.all(['AccessToken', 'AuthorizationCode', 'RefreshToken'].map((model) => factory(model).revokeByGrantId(revoked)));

      for (const { model, payload } of artifacts) {
        const found = await factory(model).find(payload.jti!);
        if (payload.grantId === revoked) expect(found, `${model} of the revoked grant`).toBeUndefined();
        else expect(found, `${model} of the other grant`).toEqual(payload);
      }
      // Gone from PostgreSQL too; the other grant's short-lived artifacts are in Redis as well.
      const ofGrant = (grantId: string) => artifacts.filter(({ payload }) => payload.grantId === grantId);
      expect(
        await artifactsInPostgres(
          database,
          ofGrant(revoked).map(({ payload }) => payload.jti!),
        ),
      ).toBe(0);
      for (const { model, payload } of ofGrant(kept).filter(({ model }) => model !== 'RefreshToken')) {
        expect(await redis.exists(`oidc:${model}:${payload.jti}`), model).toBe(1);
      }
    });

    it('revokes a grant whose artifacts all live in Redis, the grant list included', async () => {
      const grantId = rid('grant');
      const artifacts = ['AccessToken', 'AuthorizationCode', 'RefreshToken'].flatMap((model) =>
        Array.from({ length: 10 }, () => ({ model, payload: artifact(model, { grantId }) })),
      );
      for (const { model, payload } of artifacts) await new RedisAdapter(model, redis).upsert(payload.jti!, payload, 3600);
      await new RedisAdapter('AccessToken', redis).revokeByGrantId(grantId);
      for (const { model, payload } of artifacts) expect(await new RedisAdapter(model, redis).find(payload.jti!), model).toBeUndefined();
      expect(await redis.exists(`oidc:grant:${grantId}`)).toBe(0);
    });

    it("lists an account's live sessions", async () => {
      const accountId = rid('account');
      const sessions = many(() => artifact('Session', { uid: rid('uid'), accountId }));
      for (const payload of sessions) await factory('Session').upsert(payload.jti!, payload, 3600);
      const [gone, ...alive] = sessions;
      await factory('Session').destroy(gone!.jti!);
      expect((await factory('Session').idsByAccount(accountId)).sort()).toEqual(alive.map((payload) => payload.jti!).sort());
      expect(
        await artifactsInPostgres(
          database,
          sessions.map((payload) => payload.jti!),
        ),
      ).toBe(alive.length);
    });
  });

  describe('profile cache', () => {
    type Entry = { name: string };
    const user = () => `database|${randomBytes(6).toString('hex')}`;

    it('serves, invalidates and reloads many users', async () => {
      const cache = createRedisProfileCache<Entry>(redis, { ttlSeconds: 60 });
      const ids = many(user);
      for (const id of ids) await cache.read(id, async () => ({ name: `old ${id}` }));
      for (const id of ids) expect(await cache.read(id, async () => ({ name: 'unused' }))).toEqual({ name: `old ${id}` });
      await Promise.all(ids.map((id) => cache.invalidate(id)));
      for (const id of ids) expect(await cache.read(id, async () => ({ name: `new ${id}` }))).toEqual({ name: `new ${id}` });
      expect(cache.stats()).toMatchObject({ hits: MANY, misses: 2 * MANY, errors: 0 });
    });

    it('never stores what a read loaded before a write that committed while it was loading', async () => {
      const cache = createRedisProfileCache<Entry>(redis, { ttlSeconds: 60 });
      const id = user();
      let release!: () => void;
      const slowRead = cache.read(id, () => new Promise<Entry>((resolve) => (release = () => resolve({ name: 'stale' }))));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await cache.invalidate(id);
      release();
      expect(await slowRead).toEqual({ name: 'stale' });
      expect(await cache.read(id, async () => ({ name: 'fresh' }))).toEqual({ name: 'fresh' });
      expect(cache.stats().errors).toBe(0);
    });
  });

  describe('event bus', () => {
    const namespace = `cluster-${randomBytes(4).toString('hex')}`;

    it('delivers events from one node to a subscriber on another, and resumes after lastEventId', async () => {
      const other = await openRedis(cluster.urls, silent);
      try {
        const nodeA = createRedisEventBus(redis, namespace);
        const nodeB = createRedisEventBus(other, namespace);
        const id = `database|${randomBytes(6).toString('hex')}`;
        const [seen] = await takeEvents(nodeB, { userId: id }, 1, () => nodeA.publish('user.created', id), 100);
        expect(seen).toMatchObject({ type: 'user.created', user_id: id });

        await nodeA.publish('user.updated', id);
        await nodeA.publish('user.blocked', id);
        const resumed = await takeEvents(nodeB, { userId: id, lastEventId: seen!.id }, 2, async () => undefined, 100);
        expect(resumed.map((event) => event.type)).toEqual(['user.updated', 'user.blocked']);
      } finally {
        await other.quit();
      }
    });
  });

  describe('node signals', () => {
    it("runs another node's handler when a node announces a signal", async () => {
      const namespace = `cluster-${randomBytes(4).toString('hex')}`;
      const other = await openRedis(cluster.urls, silent);
      const announcer = await createRedisNodeSignals(redis, namespace, silent);
      const listener = await createRedisNodeSignals(other, namespace, silent);
      try {
        let received = 0;
        listener.on('keys.rotated', async () => {
          received += 1;
        });
        await announcer.announce('keys.rotated');
        await waitFor(async () => received === 1, 5_000);
      } finally {
        await announcer.close();
        await listener.close();
        await other.quit();
      }
    });
  });

  describe('a whole Tessera', () => {
    it('logs a user in with a relying party and serves users.get, keeping its artifacts in the cluster, with PostgreSQL as their record', async () => {
      const tessera = await startTestTessera({ redis: cluster.url });
      try {
        const client = await createClient(tessera);
        const user = await createUser(tessera, { name: 'Clustered' });
        const config = await discover(tessera.issuer, client.client_id, client.client_secret);
        const { tokens } = await login(config, { scope: 'openid profile', username: user.email, password: user.password });
        expect(tokens.claims()?.sub).toBe(user.profile.user_id);

        const admin = await adminClient(tessera.issuer);
        expect((await admin.users.get.query({ id: user.profile.user_id })).name).toBe('Clustered');
        await admin.users.update.mutate({ id: user.profile.user_id, name: 'Moved' });
        expect((await admin.users.get.query({ id: user.profile.user_id })).name).toBe('Moved');
        expect(tessera.services.profileCache.stats().errors).toBe(0);
        // The access token is in the cluster, read first, and in PostgreSQL, its record.
        expect(await redis.exists(`oidc:AccessToken:${tokens.access_token}`)).toBe(1);
        expect(await tessera.database.models.OidcPayload.count({ where: { model: 'AccessToken', id: tokens.access_token } })).toBe(1);
      } finally {
        await tessera.stop();
      }
    });
  });

  describe('when one node stops and starts again', () => {
    it('warns once, replays the deletions and invalidations it missed, and says when it is back', async () => {
      const lines: Array<{ level: number; msg: string }> = [];
      const sink = logSink(lines);
      const client = await openRedis(cluster.urls, pino({ level: 'info' }, sink));
      try {
        const pending = new PendingRedisWrites(client);
        const sessions = new FallbackAdapter(
          new RedisAdapter('Session', client),
          new SequelizeAdapter('Session', database.models),
          pending,
        );
        const stored = many(() => artifact('Session'));
        for (const payload of stored) await sessions.upsert(payload.jti!, payload, 3600);
        const cache = createRedisProfileCache<{ name: string }>(client, { ttlSeconds: 60 });
        const users = many(() => `database|${randomBytes(6).toString('hex')}`);
        for (const id of users) await cache.read(id, async () => ({ name: 'before' }));

        const [stopped] = cluster.nodes;
        // Saved, so the node returns with what it held (as a replica would): the replays must remove it again.
        await (client as Cluster)
          .nodes('master')
          .find((node) => node.options.port === stopped!.port)!
          .save();
        await stopped!.stop();
        // Writes during the outage: those whose keys are on the stopped node wait for its return.
        for (const payload of stored) await sessions.destroy(payload.jti!);
        for (const id of users) await cache.invalidate(id);
        expect(lines.filter((line) => line.level === 40 && line.msg.startsWith('redis unavailable'))).toHaveLength(1);

        await stopped!.restart();
        await waitFor(async () => lines.some((line) => line.msg === 'redis available again'), 20_000);
        await waitFor(
          async () => (await Promise.all(stored.map((payload) => sessions.find(payload.jti!)))).every((found) => !found),
          20_000,
        );
        for (const id of users) expect(await cache.read(id, async () => ({ name: 'after' }))).toEqual({ name: 'after' });
        // Cached again: the missed invalidations went through rather than failing at every read.
        for (const id of users) expect(await cache.read(id, async () => ({ name: 'unused' }))).toEqual({ name: 'after' });
      } finally {
        await client.quit();
      }
    });
  });
});
