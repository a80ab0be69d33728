import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe("me.* with a user's own access token", () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  async function userToken(scope = 'openid') {
    const { tokens } = await login(config, {
      scope,
      username: user.email,
      password: user.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    return tokens;
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    const client = await createClient(tessera);
    user = await createUser(tessera, { name: 'Me Myself', user_metadata: { lang: 'fr' }, app_metadata: { role: 'admin' } });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('issues a JWT for the management API when the login asks for resource=$ISSUER/api/v2/', async () => {
    const tokens = await userToken();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: `${tessera.issuer}/api/v2/`, sub: user.profile.user_id });
  });

  it('me.get returns the caller’s own profile', async () => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    expect(await me.me.get.query()).toMatchObject({ user_id: user.profile.user_id, email: user.email, name: 'Me Myself' });
  });

  it('me.update changes the allowed attributes and merges user_metadata', async () => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const updated = await me.me.update.mutate({ nickname: 'memyself', user_metadata: { tz: 'Europe/Paris' } });
    expect(updated).toMatchObject({ nickname: 'memyself', user_metadata: { lang: 'fr', tz: 'Europe/Paris' }, app_metadata: { role: 'admin' } });
  });

  it.each([
    ['app_metadata', { app_metadata: { role: 'owner' } }],
    ['email', { email: 'other@example.com' }],
    ['blocked', { blocked: false }],
    ['password', { password: 'a new long password' }],
  ])('me.update refuses %s with BAD_REQUEST', async (field, input) => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const error = await errorOf(me.me.update.mutate(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(field);
  });

  it('refuses a machine token on me.* and a user token on users.*', async () => {
    const admin = await adminClient(tessera.issuer);
    expect((await errorOf(admin.me.get.query())).code).toBe('FORBIDDEN');
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const error = await errorOf(me.users.get.query({ id: user.profile.user_id }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('read:users');
  });

  it('refuses an ID token or an opaque access token as a bearer', async () => {
    const tokens = await login(config, { scope: 'openid', username: user.email, password: user.password });
    expect((await errorOf(managementClient(tessera.issuer, tokens.tokens.id_token!).me.get.query())).code).toBe('UNAUTHORIZED');
    expect((await errorOf(managementClient(tessera.issuer, tokens.tokens.access_token).me.get.query())).code).toBe('UNAUTHORIZED');
  });

  it("revokes a deleted user's grants and sessions: me.* answers NOT_FOUND and the refresh token fails", async () => {
    const doomed = await createUser(tessera);
    const { tokens } = await login(config, {
      scope: 'openid offline_access',
      username: doomed.email,
      password: doomed.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    const { adapter } = tessera.services;
    expect(await adapter('Grant').idsByAccount(doomed.profile.user_id)).toHaveLength(1);
    expect(await adapter('Session').idsByAccount(doomed.profile.user_id)).toHaveLength(1);
    const admin = await adminClient(tessera.issuer);
    await admin.users.delete.mutate({ id: doomed.profile.user_id });
    expect(await adapter('Grant').idsByAccount(doomed.profile.user_id)).toEqual([]);
    expect(await adapter('Session').idsByAccount(doomed.profile.user_id)).toEqual([]);
    expect((await errorOf(managementClient(tessera.issuer, tokens.access_token).me.get.query())).code).toBe('NOT_FOUND');
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
