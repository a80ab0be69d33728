/**
 * Access tokens memoized in process on a single node (no Redis), through the real provider:
 * every way oidc-provider revokes one must reach the memo. With Redis they are not memoized,
 * so a token revoked by another node fails here at once.
 */
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisAdapter } from '../../adapters/oidc/redis-adapter.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

async function userinfoStatus(tessera: TestTessera, accessToken: string): Promise<number> {
  const response = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

async function loggedIn(tessera: TestTessera, scope: string) {
  const client = await createClient(tessera);
  const user = await createUser(tessera);
  const config = await discover(tessera.issuer, client.client_id, client.client_secret);
  const { tokens } = await login(config, { scope, username: user.email, password: user.password });
  return { config, tokens };
}

describe('access tokens on a single node', () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it('fail at once when revoked, and so do the other tokens of their grant', async () => {
    const { config, tokens } = await loggedIn(tessera, 'openid offline_access');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    for (const token of [tokens.access_token, refreshed.access_token, tokens.access_token, refreshed.access_token]) {
      expect(await userinfoStatus(tessera, token)).toBe(200);
    }

    // oidc-provider destroys the token, then revokes its grant's tokens but keeps the grant.
    await oidc.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });

    expect(await userinfoStatus(tessera, tokens.access_token)).toBe(401);
    expect(await userinfoStatus(tessera, refreshed.access_token)).toBe(401);
  });

  it('fail at once when the refresh token of their grant is used twice', async () => {
    const { config, tokens } = await loggedIn(tessera, 'openid offline_access');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(await userinfoStatus(tessera, refreshed.access_token)).toBe(200);

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(await userinfoStatus(tessera, refreshed.access_token)).toBe(401);
  });
});

describe('access tokens with Redis', () => {
  let tessera: TestTessera;
  let redis: Redis;

  beforeAll(async () => {
    tessera = await startTestTessera({ redis: true });
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await tessera?.stop();
  });

  it('fail at once when another node revokes them', async () => {
    const { tokens } = await loggedIn(tessera, 'openid');
    expect(await userinfoStatus(tessera, tokens.access_token)).toBe(200);

    // As another node's revocation does: straight in the shared stores (the record first), unseen by this node.
    await new SequelizeAdapter('AccessToken', tessera.database.models).destroy(tokens.access_token);
    await new RedisAdapter('AccessToken', redis).destroy(tokens.access_token);

    expect(await userinfoStatus(tessera, tokens.access_token)).toBe(401);
  });
});
