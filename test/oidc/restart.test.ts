import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('a restart on the same data', () => {
  const running: Array<{ stop(): Promise<void> }> = [];
  afterAll(async () => {
    for (const tessera of running) await tessera.stop();
  });

  it('keeps signing keys, cookie keys, users and refresh tokens valid', async () => {
    const first = await startTestTessera();
    running.push(first);
    const client = await createClient(first);
    const user = await createUser(first);
    const config = await discover(first.issuer, client.client_id, client.client_secret);
    const { tokens, browser } = await login(config, {
      scope: 'openid email offline_access',
      username: user.email,
      password: user.password,
    });
    const jwksBefore = (await (await fetch(`${first.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    await first.stop();
    running.pop();

    const second = await startTestTessera({ databaseUrl: first.databaseUrl, port: Number(new URL(first.issuer).port) });
    running.push(second);
    const jwksAfter = (await (await fetch(`${second.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwksAfter.keys.map((key) => key.kid)).toEqual(jwksBefore.keys.map((key) => key.kid));

    const configAfter = await discover(second.issuer, client.client_id, client.client_secret);
    const info = await oidc.fetchUserInfo(configAfter, tokens.access_token, user.profile.user_id);
    expect(info.email).toBe(user.email);

    const refreshed = await oidc.refreshTokenGrant(configAfter, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(user.profile.user_id);

    // The browser's session cookie, signed before the restart, still signs the user in.
    const { page } = await openLoginPage(configAfter, 'openid', {}, browser);
    expect('redirect' in page && page.redirect.startsWith(REDIRECT_URI)).toBe(true);
  });
});
