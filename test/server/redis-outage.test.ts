import * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { adminClient } from '../support/management-client.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { discover, login } from '../support/relying-party.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

describe('when redis-server stops and starts again', () => {
  const logLines: Array<{ level: number; msg: string }> = [];
  let redisPort: number;
  let redis: RedisServer;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedisServer(redisPort);
    const sink = logSink(logLines);
    tessera = await startTestTessera({ redis: redis.url, logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await tessera?.stop();
    await redis?.stop();
  });

  it('keeps serving logins, userinfo and the management API from PostgreSQL, warns once, and caches again afterwards', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera, { name: 'Steady' });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const admin = await adminClient(tessera.issuer);

    await redis.stop();

    for (let round = 0; round < 3; round += 1) {
      const { tokens } = await login(config, { scope: 'openid profile offline_access', username: user.email, password: user.password });
      expect((await oidc.fetchUserInfo(config, tokens.access_token, user.profile.user_id)).name).toBe(
        round === 0 ? 'Steady' : `Steady ${round - 1}`,
      );
      expect((await oidc.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toBeTruthy();
      await admin.users.update.mutate({ id: user.profile.user_id, name: `Steady ${round}` });
      expect((await admin.users.get.query({ id: user.profile.user_id })).name).toBe(`Steady ${round}`);
    }
    const warnings = logLines.filter((line) => line.level === 40 && line.msg.startsWith('redis unavailable'));
    expect(warnings).toHaveLength(1);

    redis = await startRedisServer(redisPort);
    await waitFor(async () => logLines.some((line) => line.msg === 'redis available again'), 10_000);
    const before = tessera.services.profileCache.stats().hits;
    await admin.users.get.query({ id: user.profile.user_id });
    await admin.users.get.query({ id: user.profile.user_id });
    expect(tessera.services.profileCache.stats().hits).toBeGreaterThan(before);
    expect((await admin.users.get.query({ id: user.profile.user_id })).name).toBe('Steady 2');
  });
});

describe('when redis-server stops answering but keeps its connections open', () => {
  const logLines: Array<{ level: number; msg: string }> = [];
  let redis: RedisServer;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    redis = await startRedisServer();
    tessera = await startTestTessera({ redis: redis.url, logger: pino({ level: 'info' }, logSink(logLines)) });
  });
  afterAll(async () => {
    redis?.thaw();
    await tessera?.stop();
    await redis?.stop();
  });

  it('answers logins, userinfo, refreshes and the management API from PostgreSQL instead of waiting on it, and uses it again once it answers', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera, { name: 'Patient' });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const admin = await adminClient(tessera.issuer);

    redis.freeze();
    try {
      // Without a limit on Redis's silence the first of these waited forever: the test's own timeout.
      for (let round = 0; round < 2; round += 1) {
        const { tokens } = await login(config, { scope: 'openid profile offline_access', username: user.email, password: user.password });
        expect((await oidc.fetchUserInfo(config, tokens.access_token, user.profile.user_id)).sub).toBe(user.profile.user_id);
        expect((await oidc.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toBeTruthy();
        await admin.users.update.mutate({ id: user.profile.user_id, name: `Patient ${round}` });
        expect((await admin.users.get.query({ id: user.profile.user_id })).name).toBe(`Patient ${round}`);
      }
      expect(logLines.filter((line) => line.level === 40 && line.msg.startsWith('redis unavailable'))).toHaveLength(1);
    } finally {
      redis.thaw();
    }
    await waitFor(async () => logLines.some((line) => line.msg === 'redis available again'), 15_000);
    const before = tessera.services.profileCache.stats().hits;
    await admin.users.get.query({ id: user.profile.user_id });
    await admin.users.get.query({ id: user.profile.user_id });
    expect(tessera.services.profileCache.stats().hits).toBeGreaterThan(before);
  });
});
