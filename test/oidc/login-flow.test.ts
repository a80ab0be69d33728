import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { watchingStatements } from '../support/pg-statements.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('authorization code login through the HTML form', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    client = await createClient(tessera);
    user = await createUser(tessera, {
      username: 'jane',
      name: 'Jane Doe',
      given_name: 'Jane',
      family_name: 'Doe',
      nickname: 'jd',
      picture: 'https://example.com/jane.png',
      locale: 'en',
      email_verified: true,
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('serves a login form with username and password inputs', async () => {
    const { loginPage } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    const form = loginPage.document.querySelector('form');
    expect(form?.getAttribute('method')).toBe('post');
    expect(loginPage.document.querySelector('input[name=username]')).not.toBeNull();
    expect(loginPage.document.querySelector('input[name=password]')?.getAttribute('type')).toBe('password');
  });

  it('issues an ID token with only sub for scope openid', async () => {
    const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(user.profile.user_id);
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('name');
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
  });

  it('says in the ID token how the login was authenticated: amr pwd, single-factor acr, kept through a refresh', async () => {
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd'], acr: 'urn:tessera:acr:single-factor' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ amr: ['pwd'], acr: 'urn:tessera:acr:single-factor' });
  });

  it('lists the multi-factor and single-factor acr values in discovery', () => {
    expect(config.serverMetadata().acr_values_supported).toEqual([
      'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
      'urn:tessera:acr:single-factor',
    ]);
  });

  it('puts profile and email claims in the ID token for scope "openid profile email"', async () => {
    const { tokens } = await login(config, { scope: 'openid profile email', username: 'JANE', password: user.password });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      sub: user.profile.user_id,
      name: 'Jane Doe',
      given_name: 'Jane',
      family_name: 'Doe',
      nickname: 'jd',
      picture: 'https://example.com/jane.png',
      locale: 'en',
      preferred_username: 'jane',
      email: user.email,
      email_verified: true,
    });
    expect(typeof claims['updated_at']).toBe('number');
    expect(claims).not.toHaveProperty('phone_number');
  });

  it('answers userinfo with the claims of the granted scopes', async () => {
    const { tokens } = await login(config, { scope: 'openid email', username: user.email, password: user.password });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.profile.user_id);
    expect(info).toEqual({ sub: user.profile.user_id, email: user.email, email_verified: true });
  });

  it('rotates refresh tokens and refuses the old one', async () => {
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe(user.profile.user_id);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('records logins_count, last_login and last_ip', async () => {
    const before = await tessera.services.profiles.getProfile(user.profile.user_id);
    await login(config, { scope: 'openid', username: user.email, password: user.password });
    const after = await tessera.services.profiles.getProfile(user.profile.user_id);
    expect(after!.logins_count).toBe(before!.logins_count + 1);
    expect(after!.last_ip).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(after!.last_login!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('keeps the profile the login recorded in the cache: the tokens it gets read no user from PostgreSQL again', async () => {
    const userReads: string[] = [];
    const { tokens } = await watchingStatements(
      (text) => {
        if (text.includes('FROM users u')) userReads.push(text);
        return undefined;
      },
      () => login(config, { scope: 'openid profile', username: user.email, password: user.password }),
    );
    const profile = tokens.claims() as Record<string, unknown> | undefined;
    expect(userReads).toEqual([]);
    const stored = await tessera.services.profiles.getProfile(user.profile.user_id);
    expect(profile).toMatchObject({ sub: user.profile.user_id, name: 'Jane Doe', updated_at: expect.any(Number) });
    expect(stored?.logins_count).toBeGreaterThan(0);
  });

  it('signs ID tokens with HS256 and the client secret for a client that asks for it', async () => {
    const hsClient = await createClient(tessera, { id_token_signed_response_alg: 'HS256' });
    const hsConfig = await discover(tessera.issuer, hsClient.client_id, hsClient.client_secret, {
      id_token_signed_response_alg: 'HS256',
    });
    const { tokens } = await login(hsConfig, { scope: 'openid email', username: user.email, password: user.password });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('HS256');
    expect(decodeJwt(tokens.id_token!)).toMatchObject({ sub: user.profile.user_id, email: user.email });
  });

  it('signs ID tokens with ES256 for a client that asks for it', async () => {
    const esClient = await createClient(tessera, { id_token_signed_response_alg: 'ES256' });
    const esConfig = await discover(tessera.issuer, esClient.client_id, esClient.client_secret, {
      id_token_signed_response_alg: 'ES256',
    });
    const { tokens } = await login(esConfig, { scope: 'openid', username: user.email, password: user.password });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
  });
});
