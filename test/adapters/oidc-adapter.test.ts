/**
 * One oidc-provider adapter contract, run against both storages: SequelizeAdapter on a fresh
 * PostgreSQL database and RedisAdapter on the shared redis-server. The redis-server is shared
 * with other test files, so nothing here flushes it: every id, grant, uid and user code is random.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdapterFactory } from '../../adapters/oidc/adapter-factory.js';
import { FallbackAdapter } from '../../adapters/oidc/fallback-adapter.js';
import { RedisAdapter } from '../../adapters/oidc/redis-adapter.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { type Adapter, type AdapterPayload, SHORT_LIVED_MODELS } from '../../adapters/oidc/types.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { storedGrant } from '../support/grants.js';

/** What the shared suite needs from a storage. */
interface Backend {
  /** A fresh adapter for one oidc-provider model. */
  adapter(model: string): Adapter;
  /** Whether anything at all is stored for (model, id), with or without a payload, expired or not yet reaped. */
  stored(model: string, id: string): Promise<boolean>;
}

const SHORT_TTL = 1; // seconds
/** Past a SHORT_TTL expiry, with margin for a slow machine; only expiry semantics are asserted. */
const waitPastShortTtl = () => sleep(1_600);

const nowSeconds = () => Math.floor(Date.now() / 1000);
const rid = (prefix: string) => `${prefix}-${randomUUID()}`;

function accessToken(grantId: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = nowSeconds();
  return {
    jti: rid('at'),
    kind: 'AccessToken',
    grantId,
    accountId: rid('account'),
    clientId: 'client-app',
    gty: 'authorization_code',
    scope: 'openid profile email',
    iat,
    exp: iat + 3600,
    ...extra,
  };
}

function authorizationCode(grantId: string): AdapterPayload {
  const iat = nowSeconds();
  return {
    jti: rid('code'),
    kind: 'AuthorizationCode',
    grantId,
    accountId: rid('account'),
    clientId: 'client-app',
    redirectUri: 'https://rp.example.com/callback',
    scope: 'openid',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    sessionUid: rid('session-uid'),
    iat,
    exp: iat + 60,
  };
}

function refreshToken(grantId: string): AdapterPayload {
  const iat = nowSeconds();
  return {
    jti: rid('rt'),
    kind: 'RefreshToken',
    grantId,
    accountId: rid('account'),
    clientId: 'client-app',
    gty: 'authorization_code',
    scope: 'openid offline_access',
    rotations: 0,
    iiat: iat,
    iat,
    exp: iat + 14 * 24 * 3600,
  };
}

function session(): AdapterPayload {
  const iat = nowSeconds();
  return {
    jti: rid('session'),
    kind: 'Session',
    uid: rid('uid'),
    accountId: rid('account'),
    loginTs: iat,
    authorizations: { 'client-app': { sid: rid('sid'), grantId: rid('grant') } },
    iat,
    exp: iat + 14 * 24 * 3600,
  };
}

function deviceCode(): AdapterPayload {
  const iat = nowSeconds();
  return {
    jti: rid('device'),
    kind: 'DeviceCode',
    userCode: `${randomUUID().slice(0, 4)}-${randomUUID().slice(0, 4)}`.toUpperCase(),
    clientId: 'client-tv',
    params: { client_id: 'client-tv', scope: 'openid' },
    deviceInfo: { ip: '127.0.0.1', ua: 'vitest' },
    iat,
    exp: iat + 600,
  };
}

function adapterContract(getBackend: () => Backend) {
  const adapter = (model: string) => getBackend().adapter(model);
  const grant = () => storedGrant(adapter('Grant'));

  it('returns the payload it was given when an upserted artifact is found', async () => {
    const tokens = adapter('AccessToken');
    const payload = accessToken(await grant());
    await tokens.upsert(payload.jti!, payload, 3600);
    expect(await tokens.find(payload.jti!)).toEqual(payload);
  });

  it('finds nothing for an id that was never stored', async () => {
    expect(await adapter('AccessToken').find(rid('missing'))).toBeUndefined();
  });

  it('keeps the same id under two models as two separate artifacts', async () => {
    const id = rid('shared');
    const token = accessToken(await grant(), { jti: id });
    const code = { ...authorizationCode(await grant()), jti: id };
    await adapter('AccessToken').upsert(id, token, 3600);
    await adapter('AuthorizationCode').upsert(id, code, 60);
    await adapter('AccessToken').destroy(id);
    expect(await adapter('AccessToken').find(id)).toBeUndefined();
    expect(await adapter('AuthorizationCode').find(id)).toEqual(code);
  });

  it('no longer finds an artifact once its expiresIn has passed', async () => {
    const tokens = adapter('AccessToken');
    const payload = accessToken(await grant(), { exp: nowSeconds() + SHORT_TTL });
    await tokens.upsert(payload.jti!, payload, SHORT_TTL);
    expect(await tokens.find(payload.jti!)).toEqual(payload);
    await waitPastShortTtl();
    expect(await tokens.find(payload.jti!)).toBeUndefined();
  });

  it('never expires an artifact stored with an expiresIn of 0', async () => {
    const grants = adapter('Grant');
    const id = rid('grant');
    const payload: AdapterPayload = {
      jti: id,
      kind: 'Grant',
      accountId: rid('account'),
      clientId: 'client-app',
      openid: { scope: 'openid profile' },
      iat: nowSeconds(),
    };
    await grants.upsert(id, payload, 0);
    await waitPastShortTtl();
    expect(await grants.find(id)).toEqual(payload);
  });

  it('marks a consumed artifact with a numeric consumed time in epoch seconds and keeps finding it', async () => {
    const codes = adapter('AuthorizationCode');
    const payload = authorizationCode(await grant());
    await codes.upsert(payload.jti!, payload, 60);
    const before = nowSeconds();
    await codes.consume(payload.jti!);
    const after = nowSeconds();

    const found = await codes.find(payload.jti!);
    expect(found).toMatchObject(payload);
    expect(typeof found?.consumed).toBe('number');
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
    expect(found?.consumed).toBeLessThanOrEqual(after);
    // Still there on a second look, still consumed.
    expect((await codes.find(payload.jti!))?.consumed).toBe(found?.consumed);
  });

  it('still expires a consumed artifact when its expiresIn passes', async () => {
    const codes = adapter('AuthorizationCode');
    const payload = authorizationCode(await grant());
    await codes.upsert(payload.jti!, payload, SHORT_TTL);
    await codes.consume(payload.jti!);
    expect((await codes.find(payload.jti!))?.consumed).toEqual(expect.any(Number));
    await waitPastShortTtl();
    expect(await codes.find(payload.jti!)).toBeUndefined();
  });

  it('creates nothing when consuming an id that was never stored', async () => {
    const codes = adapter('AuthorizationCode');
    const id = rid('missing-code');
    await codes.consume(id);
    expect(await codes.find(id)).toBeUndefined();
    expect(await getBackend().stored('AuthorizationCode', id)).toBe(false);
  });

  it('finds a session by its uid, and nothing for an unknown uid', async () => {
    const sessions = adapter('Session');
    const payload = session();
    await sessions.upsert(payload.jti!, payload, 3600);
    expect(await sessions.findByUid(payload.uid as string)).toEqual(payload);
    expect(await sessions.findByUid(rid('uid'))).toBeUndefined();
  });

  it('finds a session by its uid after its id changed, and not under the old id', async () => {
    // oidc-provider's Session.resetIdentifier: destroy the old jti, save under a new one, same uid.
    const sessions = adapter('Session');
    const first = session();
    await sessions.upsert(first.jti!, first, 3600);
    await sessions.destroy(first.jti!);
    const second = { ...first, jti: rid('session') };
    await sessions.upsert(second.jti, second, 3600);
    expect(await sessions.findByUid(first.uid as string)).toEqual(second);
    expect(await sessions.find(first.jti!)).toBeUndefined();
  });

  it('no longer finds a session by uid once it has expired', async () => {
    const sessions = adapter('Session');
    const payload = session();
    await sessions.upsert(payload.jti!, payload, SHORT_TTL);
    await waitPastShortTtl();
    expect(await sessions.findByUid(payload.uid as string)).toBeUndefined();
  });

  it('finds a device code by its user code, and nothing for an unknown user code', async () => {
    const codes = adapter('DeviceCode');
    const payload = deviceCode();
    await codes.upsert(payload.jti!, payload, 600);
    expect(await codes.findByUserCode(payload.userCode as string)).toEqual(payload);
    expect(await codes.findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
  });

  it('reports consumption on a device code found by user code', async () => {
    const codes = adapter('DeviceCode');
    const payload = deviceCode();
    await codes.upsert(payload.jti!, payload, 600);
    await codes.consume(payload.jti!);
    expect((await codes.findByUserCode(payload.userCode as string))?.consumed).toEqual(expect.any(Number));
  });

  it('no longer finds a destroyed artifact, by id, uid or user code', async () => {
    const tokens = adapter('AccessToken');
    const token = accessToken(await grant());
    await tokens.upsert(token.jti!, token, 3600);
    await tokens.destroy(token.jti!);
    expect(await tokens.find(token.jti!)).toBeUndefined();

    const sessions = adapter('Session');
    const sess = session();
    await sessions.upsert(sess.jti!, sess, 3600);
    await sessions.destroy(sess.jti!);
    expect(await sessions.findByUid(sess.uid as string)).toBeUndefined();

    const devices = adapter('DeviceCode');
    const device = deviceCode();
    await devices.upsert(device.jti!, device, 600);
    await devices.destroy(device.jti!);
    expect(await devices.findByUserCode(device.userCode as string)).toBeUndefined();
  });

  it('does nothing when destroying an id that was never stored', async () => {
    const id = rid('missing');
    await adapter('AccessToken').destroy(id);
    expect(await getBackend().stored('AccessToken', id)).toBe(false);
  });

  it("removes every artifact of a revoked grant and leaves another grant's artifacts intact", async () => {
    const revoked = await grant();
    const kept = await grant();
    const artifacts = [
      { model: 'AccessToken', ttl: 3600, make: (g: string) => accessToken(g) },
      { model: 'AuthorizationCode', ttl: 60, make: authorizationCode },
      { model: 'RefreshToken', ttl: 14 * 24 * 3600, make: refreshToken },
    ].flatMap(({ model, ttl, make }) => [revoked, kept].map((grantId) => ({ model, ttl, grantId, payload: make(grantId) })));
    for (const { model, ttl, payload } of artifacts) await adapter(model).upsert(payload.jti!, payload, ttl);

    // As oidc-provider's revoke helper does: each grantable model's adapter is asked in turn.
    for (const model of ['AccessToken', 'AuthorizationCode', 'RefreshToken']) await adapter(model).revokeByGrantId(revoked);

    for (const { model, grantId, payload } of artifacts) {
      const found = await adapter(model).find(payload.jti!);
      if (grantId === revoked) expect(found, `${model} of the revoked grant`).toBeUndefined();
      else expect(found, `${model} of the other grant`).toEqual(payload);
    }
  });

  it('revokes a non-expiring artifact of a grant even after a shorter-lived artifact of that grant expired', async () => {
    const grantId = await grant();
    const refresh = refreshToken(grantId);
    const access = accessToken(grantId, { exp: nowSeconds() + SHORT_TTL });
    await adapter('RefreshToken').upsert(refresh.jti!, refresh, 0);
    await adapter('AccessToken').upsert(access.jti!, access, SHORT_TTL);
    await waitPastShortTtl();
    expect(await adapter('AccessToken').find(access.jti!)).toBeUndefined();

    for (const model of ['AccessToken', 'RefreshToken']) await adapter(model).revokeByGrantId(grantId);
    expect(await adapter('RefreshToken').find(refresh.jti!)).toBeUndefined();
  });

  it('revokes a long-lived artifact of a grant after a shorter-lived one joined the grant later', async () => {
    const grantId = await grant();
    const refresh = refreshToken(grantId);
    const access = accessToken(grantId, { exp: nowSeconds() + SHORT_TTL });
    await adapter('RefreshToken').upsert(refresh.jti!, refresh, 3600);
    await adapter('AccessToken').upsert(access.jti!, access, SHORT_TTL);
    await waitPastShortTtl();

    for (const model of ['AccessToken', 'RefreshToken']) await adapter(model).revokeByGrantId(grantId);
    expect(await adapter('RefreshToken').find(refresh.jti!)).toBeUndefined();
  });

  it('does nothing when revoking a grant that has no artifacts', async () => {
    const token = accessToken(await grant());
    await adapter('AccessToken').upsert(token.jti!, token, 3600);
    await adapter('AccessToken').revokeByGrantId(rid('grant'));
    expect(await adapter('AccessToken').find(token.jti!)).toEqual(token);
  });

  it('replaces the payload and clears consumed when an existing id is upserted again', async () => {
    const codes = adapter('AuthorizationCode');
    const first = authorizationCode(await grant());
    await codes.upsert(first.jti!, first, 60);
    await codes.consume(first.jti!);
    expect((await codes.find(first.jti!))?.consumed).toEqual(expect.any(Number));

    const second: AdapterPayload = { ...first, scope: 'openid email', redirectUri: 'https://rp.example.com/other' };
    delete second.codeChallenge;
    delete second.codeChallengeMethod;
    await codes.upsert(first.jti!, second, 60);
    const found = await codes.find(first.jti!);
    expect(found).toEqual(second);
    expect(found).not.toHaveProperty('consumed');
    expect(found).not.toHaveProperty('codeChallenge');
  });

  it('takes the new expiresIn when an existing id is upserted again', async () => {
    const sessions = adapter('Session');
    const payload = session();
    await sessions.upsert(payload.jti!, payload, 3600);
    await sessions.upsert(payload.jti!, payload, SHORT_TTL);
    await waitPastShortTtl();
    expect(await sessions.find(payload.jti!)).toBeUndefined();
  });
}

describe('oidc-provider adapter contract', () => {
  let database: Database;
  let redis: Redis;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.quit();
    await database?.close();
  });

  const backends: Array<{ name: string; backend: () => Backend }> = [
    {
      name: 'SequelizeAdapter on PostgreSQL',
      backend: () => ({
        adapter: (model) => new SequelizeAdapter(model, database.models),
        stored: async (model, id) => (await database.models.OidcPayload.count({ where: { model, id } })) > 0,
      }),
    },
    {
      name: 'RedisAdapter on redis-server',
      backend: () => ({
        adapter: (model) => new RedisAdapter(model, redis),
        stored: async (model, id) => (await redis.exists(`oidc:${model}:${id}`)) > 0,
      }),
    },
  ];

  describe.each(backends)('$name', ({ backend }) => {
    adapterContract(backend);
  });

  describe('RedisAdapter specifics', () => {
    it('rejects an upsert whose write failed inside the transaction instead of reporting success', async () => {
      const grantId = rid('grant');
      await redis.set(`oidc:grant:${grantId}`, 'not a list', 'EX', 60);
      const token = accessToken(grantId);
      await expect(new RedisAdapter('AccessToken', redis).upsert(token.jti!, token, 60)).rejects.toThrow(/WRONGTYPE/);
    });

    it('keeps a grant list persistent while it holds an artifact that never expires', async () => {
      const grantId = rid('grant');
      const refresh = refreshToken(grantId);
      const access = accessToken(grantId);
      await new RedisAdapter('RefreshToken', redis).upsert(refresh.jti!, refresh, 0);
      await new RedisAdapter('AccessToken', redis).upsert(access.jti!, access, 60);
      expect(await redis.ttl(`oidc:grant:${grantId}`)).toBe(-1);
      await redis.del(`oidc:grant:${grantId}`, `oidc:RefreshToken:${refresh.jti}`, `oidc:AccessToken:${access.jti}`);
    });

    it('gives a grant list the TTL of its longest-lived artifact', async () => {
      const grantId = rid('grant');
      const code = authorizationCode(grantId);
      const access = accessToken(grantId);
      const refresh = refreshToken(grantId);
      await new RedisAdapter('AuthorizationCode', redis).upsert(code.jti!, code, 60);
      await new RedisAdapter('RefreshToken', redis).upsert(refresh.jti!, refresh, 7200);
      await new RedisAdapter('AccessToken', redis).upsert(access.jti!, access, 3600);
      const ttl = await redis.ttl(`oidc:grant:${grantId}`);
      expect(ttl).toBeGreaterThan(3600);
      expect(ttl).toBeLessThanOrEqual(7200);
      await new RedisAdapter('AccessToken', redis).revokeByGrantId(grantId);
    });
  });

  describe('adapter factory', () => {
    const longLived = ['Client', 'Grant', 'RefreshToken', 'RegistrationAccessToken', 'InitialAccessToken'];

    it('gives Redis (with PostgreSQL behind it) for short-lived models and Sequelize adapters for the rest when Redis is configured', () => {
      const factory = createAdapterFactory(database.models, redis, randomBytes(32));
      expect(factory('Session')).toBeInstanceOf(FallbackAdapter);
      for (const model of SHORT_LIVED_MODELS) expect(factory(model), model).toBeInstanceOf(FallbackAdapter);
      for (const model of longLived) expect(factory(model), model).toBeInstanceOf(SequelizeAdapter);
    });

    it('gives Sequelize adapters for every model but interactions, kept in the process, when Redis is not configured', async () => {
      const factory = createAdapterFactory(database.models, undefined, randomBytes(32));
      for (const model of [...SHORT_LIVED_MODELS, ...longLived].filter((name) => name !== 'Interaction')) {
        expect(factory(model), model).toBeInstanceOf(SequelizeAdapter);
      }
      const interactions = factory('Interaction');
      expect(interactions).not.toBeInstanceOf(SequelizeAdapter);
      // One store for the process: a provider rebuilt after a key rotation finds the logins in flight.
      expect(factory('Interaction')).toBe(interactions);
      const id = rid('interaction');
      await interactions.upsert(id, { jti: id, kind: 'Interaction', params: { state: 's' } }, 60);
      expect(await interactions.find(id)).toMatchObject({ params: { state: 's' } });
      expect(await database.models.OidcPayload.count({ where: { model: 'Interaction', id } })).toBe(0);
    });

    it('stores a session in Redis and in PostgreSQL, its record, and a grant in PostgreSQL only when Redis is configured', async () => {
      const factory = createAdapterFactory(database.models, redis, randomBytes(32));
      const sess = session();
      await factory('Session').upsert(sess.jti!, sess, 3600);
      const grantId = rid('grant');
      const grant: AdapterPayload = { jti: grantId, kind: 'Grant', accountId: rid('account'), clientId: 'client-app' };
      await factory('Grant').upsert(grantId, grant, 3600);

      expect(await redis.exists(`oidc:Session:${sess.jti}`)).toBe(1);
      expect(await database.models.OidcPayload.count({ where: { model: 'Session', id: sess.jti! } })).toBe(1);
      expect(await database.models.OidcPayload.count({ where: { model: 'Grant', id: grantId } })).toBe(1);
      expect(await redis.exists(`oidc:Grant:${grantId}`)).toBe(0);
      expect(await factory('Session').find(sess.jti!)).toEqual(sess);
      expect(await factory('Grant').find(grantId)).toEqual(grant);
    });
  });
});
