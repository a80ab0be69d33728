import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { UNVERIFIED_SIGNUP_HINT } from '../../server/interactions/routes.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('bad input gets the standard OAuth error, never a 500', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  const basic = () => basicAuthorization({ clientId: client.client_id, clientSecret: client.client_secret });

  async function token(body: Record<string, string>) {
    const response = await fetch(`${tessera.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: new URLSearchParams(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function codeFor(scope: string) {
    const { page, browser, codeVerifier } = await openLoginPage(config, scope);
    if (!isPage(page)) throw new Error('expected login page');
    const after = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (isPage(after)) throw new Error('login did not complete');
    return { code: new URL(after.redirect).searchParams.get('code')!, codeVerifier };
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    client = await createClient(tessera, { post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'] });
    user = await createUser(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  describe('login page', () => {
    it('shows one message for a wrong password and for an unknown user, and stays on the page', async () => {
      const messages: string[] = [];
      for (const [username, password] of [
        [user.email, 'wrong password'],
        ['nobody@example.com', user.password],
      ] as const) {
        const { page, browser } = await openLoginPage(config, 'openid');
        if (!isPage(page)) throw new Error('expected login page');
        const after = await browser.submit(page, { username, password }, REDIRECT_URI);
        if (!isPage(after)) throw new Error('a wrong login must not complete the flow');
        expect(after.status).toBe(401);
        messages.push(after.document.querySelector('[role=alert]')?.text ?? '');
      }
      // The default connection takes sign-ups, so the message also says a new account's link comes first.
      expect(messages[0]).toBe(`Wrong email, username or password. ${UNVERIFIED_SIGNUP_HINT}`);
      expect(messages[1]).toBe(messages[0]);
    });

    it('refuses a login name or password holding NUL as wrong credentials, not with a 500', async () => {
      for (const [username, password] of [
        [`${user.email}\u0000`, user.password],
        [user.email, `${user.password}\u0000`],
      ] as const) {
        const { page, browser } = await openLoginPage(config, 'openid');
        if (!isPage(page)) throw new Error('expected login page');
        const after = await browser.submit(page, { username, password }, REDIRECT_URI);
        if (!isPage(after)) throw new Error('a login with NUL must not complete the flow');
        expect(after.status).toBe(401);
      }
    });

    it('refuses a blocked user even with the right password', async () => {
      const blocked = await createUser(tessera, { blocked: true });
      const { page, browser } = await openLoginPage(config, 'openid');
      if (!isPage(page)) throw new Error('expected login page');
      const after = await browser.submit(page, { username: blocked.email, password: blocked.password }, REDIRECT_URI);
      if (!isPage(after)) throw new Error('a blocked user must not complete the flow');
      expect(after.status).toBe(403);
      expect(after.html).toContain('blocked');
    });

    it('refuses the form from a browser without the interaction cookie', async () => {
      const { page } = await openLoginPage(config, 'openid');
      if (!isPage(page)) throw new Error('expected login page');
      const stranger = new Browser();
      const after = await stranger.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
      if (!isPage(after)) throw new Error('the flow must stay bound to its browser');
      expect(after.status).toBe(400);
      expect(after.html).toContain('interaction session');
    });

    it('escapes the client name on the login page', async () => {
      const hostile = await createClient(tessera, { client_name: '<script>alert(1)</script>' });
      const hostileConfig = await discover(tessera.issuer, hostile.client_id, hostile.client_secret);
      const { page } = await openLoginPage(hostileConfig, 'openid');
      if (!isPage(page)) throw new Error('expected login page');
      expect(page.html).not.toContain('<script>alert(1)</script>');
      expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });
  });

  describe('authorization endpoint', () => {
    it('answers an unknown client with invalid_client on a page, not a redirect', async () => {
      const response = await fetch(
        `${tessera.issuer}/auth?client_id=nope&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('invalid_client');
    });

    it('refuses an unregistered redirect_uri without redirecting to it', async () => {
      const response = await fetch(
        `${tessera.issuer}/auth?client_id=${client.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://attacker.example/cb')}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri');
    });

    it('requires PKCE from a public client', async () => {
      const spa = await createClient(tessera, { token_endpoint_auth_method: 'none', client_secret: undefined });
      const response = await fetch(
        `${tessera.issuer}/auth?client_id=${spa.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
        { redirect: 'manual' },
      );
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    });

    it('rejects the plain PKCE method', async () => {
      const response = await fetch(
        `${tessera.issuer}/auth?client_id=${client.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=plain`,
        { redirect: 'manual' },
      );
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toMatch(/code_challenge_method/);
    });
  });

  describe('token endpoint', () => {
    it('answers a request without grant_type with invalid_request', async () => {
      const { status, body } = await token({});
      expect(status).toBe(400);
      expect(body['error']).toBe('invalid_request');
    });

    it('answers an unknown grant_type with unsupported_grant_type', async () => {
      const { status, body } = await token({ grant_type: 'password', username: 'x', password: 'y' });
      expect(status).toBe(400);
      expect(body['error']).toBe('unsupported_grant_type');
    });

    it('answers a made-up code with invalid_grant', async () => {
      const { status, body } = await token({
        grant_type: 'authorization_code',
        code: 'not-a-code',
        redirect_uri: REDIRECT_URI,
        code_verifier: 'a'.repeat(43),
      });
      expect(status).toBe(400);
      expect(body['error']).toBe('invalid_grant');
    });

    it('answers a wrong PKCE verifier with invalid_grant', async () => {
      const { code } = await codeFor('openid');
      const { status, body } = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: 'b'.repeat(43),
      });
      expect(status).toBe(400);
      expect(body['error']).toBe('invalid_grant');
    });

    it('answers a malformed body with invalid_request', async () => {
      const response = await fetch(`${tessera.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic() },
        body: '{not json',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Record<string, unknown>)['error']).toBe('invalid_request');
    });

    it('refuses a replayed code and revokes the tokens it issued', async () => {
      const { code, codeVerifier } = await codeFor('openid offline_access');
      const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: codeVerifier };
      const first = await token(exchange);
      expect(first.status).toBe(200);
      const replay = await token(exchange);
      expect(replay.status).toBe(400);
      expect(replay.body['error']).toBe('invalid_grant');

      const userinfo = await fetch(`${tessera.issuer}/userinfo`, {
        headers: { authorization: `Bearer ${String(first.body['access_token'])}` },
      });
      expect(userinfo.status).toBe(401);
      const refresh = await token({ grant_type: 'refresh_token', refresh_token: String(first.body['refresh_token']) });
      expect(refresh.body['error']).toBe('invalid_grant');
    });
  });

  describe('userinfo, introspection, revocation and logout', () => {
    it('answers userinfo without a token with invalid_token', async () => {
      const response = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: 'Bearer nonsense' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/invalid_token/);
    });

    it('introspects an access token as active, and as inactive once revoked', async () => {
      const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
      const introspect = async () => (await oidc.tokenIntrospection(config, tokens.access_token)) as { active: boolean; sub?: string };
      expect(await introspect()).toMatchObject({ active: true, sub: user.profile.user_id });
      await oidc.tokenRevocation(config, tokens.access_token);
      expect((await introspect()).active).toBe(false);
    });

    it('refuses a refresh token after it has been revoked', async () => {
      const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('logs out through the end-session endpoint and returns to the registered URI', async () => {
      const { tokens, browser } = await login(config, { scope: 'openid', username: user.email, password: user.password });
      const endSession = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out',
        state: 'bye',
      });
      const page = await browser.navigate(endSession.toString());
      if (!isPage(page)) throw new Error('expected the logout confirmation page');
      const after = await browser.submit(page, { logout: 'yes' }, 'http://127.0.0.1:9/logged-out');
      if (isPage(after)) throw new Error(`logout did not redirect: ${after.html.slice(0, 200)}`);
      expect(new URL(after.redirect).searchParams.get('state')).toBe('bye');

      // The session is gone: a new authorization request asks for a login again.
      const again = await openLoginPage(config, 'openid', {}, browser);
      expect(isPage(again.page) && again.page.document.querySelector('input[name=password]')).toBeTruthy();
    });
  });

  describe('a NUL character, which PostgreSQL refuses in text', () => {
    it.each([
      ['GET', '/userinfo?access_token=%25%00F%2B', undefined],
      ['POST', '/userinfo', 'access_token=%00'],
      ['GET', '/auth?client_id=%00', undefined],
      ['GET', '/session/end?client_id=%00', undefined],
      ['GET', '/samlp/%00', undefined],
      ['GET', '/samlp/metadata/%00', undefined],
      ['POST', '/token', 'grant_type=client_credentials&client_id=%00&client_secret=x'],
      ['POST', '/token/introspection', 'token=%00&client_id=%00&client_secret=x'],
      ['POST', '/token/revocation', 'token=%00&client_id=%00&client_secret=x'],
    ])('%s %s is an unknown id: 4xx, not 500', async (method, path, body) => {
      const response = await fetch(`${tessera.issuer}${path}`, {
        method,
        ...(body ? { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    });

    it.each(['state', 'nonce', 'login_hint', 'connection'])(
      'sends an authorization request whose %s holds NUL back to the client with invalid_request',
      async (name) => {
        const url = new URL(`${tessera.issuer}/auth`);
        for (const [key, value] of Object.entries({
          client_id: client.client_id,
          redirect_uri: REDIRECT_URI,
          response_type: 'code',
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
          [name]: 'a\u0000b',
        })) {
          url.searchParams.set(key, value);
        }
        const response = await fetch(url, { redirect: 'manual' });
        expect(response.status).toBe(303);
        const location = new URL(response.headers.get('location')!);
        expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
        expect(location.searchParams.get('error')).toBe('invalid_request');
      },
    );

    it('answers an end-session request whose state holds NUL below 500', async () => {
      const response = await fetch(`${tessera.issuer}/session/end?state=s%00`, { redirect: 'manual' });
      expect(response.status).toBeLessThan(500);
    });

    it('answers a token request whose code holds NUL with invalid_grant', async () => {
      expect(
        await token({ grant_type: 'authorization_code', code: 'a\u0000b', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43) }),
      ).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
    });
  });
});
