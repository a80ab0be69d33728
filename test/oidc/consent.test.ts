import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('consent', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    user = await createUser(tessera);
  });
  afterAll(() => tessera?.stop());

  it('shows third-party clients a consent page, saying in words what each scope gives, whose form continues the flow', async () => {
    const client = await createClient(tessera, { is_first_party: false, client_name: 'Outside App' });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid email');
    if (!isPage(page)) throw new Error('expected the login page');
    const consent = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (!isPage(consent)) throw new Error('a third-party client must get a consent page');
    expect(consent.html).toContain('Outside App');
    const asked = consent.document.querySelectorAll('li[data-scope]').map((item) => [item.getAttribute('data-scope'), item.text]);
    expect(asked).toEqual([
      ['openid', expect.stringContaining('Know who you are')],
      ['email', expect.stringContaining('See your email address')],
    ]);
    const done = await browser.submit(consent, {}, REDIRECT_URI);
    if (isPage(done)) throw new Error('consent did not complete the flow');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.['email']).toBe(user.email);
  });

  it('returns access_denied to the client when the user denies', async () => {
    const client = await createClient(tessera, { is_first_party: false });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const consent = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (!isPage(consent)) throw new Error('expected the consent page');
    const deny = consent.document.querySelectorAll('a').find((link) => link.text === 'Deny');
    const result = await browser.navigate(new URL(deny!.getAttribute('href')!, consent.url).toString(), REDIRECT_URI);
    if (isPage(result)) throw new Error('deny must return to the client');
    expect(new URL(result.redirect).searchParams.get('error')).toBe('access_denied');
  });

  it('skips consent for first-party clients', async () => {
    const client = await createClient(tessera, { is_first_party: true });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { page, browser } = await openLoginPage(config, 'openid email profile');
    if (!isPage(page)) throw new Error('expected the login page');
    const after = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    expect(isPage(after)).toBe(false);
  });

  /** Signs in through the forms, noting every path the browser asks for after the login form. */
  async function signIn(config: oidc.Configuration, scope: string, extraParams: Record<string, string> = {}, browser = new Browser()) {
    const { page, codeVerifier, state, nonce } = await openLoginPage(config, scope, extraParams, browser);
    if (!isPage(page)) throw new Error('expected the login page');
    const paths: string[] = [];
    const request = browser.request.bind(browser);
    browser.request = (url, init) => {
      paths.push(new URL(url).pathname.replace(/\/[A-Za-z0-9_-]{16,}/g, '/:uid'));
      return request(url, init);
    };
    const after = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    browser.request = request;
    if (isPage(after)) throw new Error(`login did not complete: ${after.html.slice(0, 300)}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(after.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    return { paths, tokens };
  }

  async function firstPartyClient() {
    const client = await createClient(tessera, { is_first_party: true });
    return discover(tessera.issuer, client.client_id, client.client_secret);
  }

  it("gives a first-party client's consent with the login when it asks for OpenID scopes only: one resume, no second interaction", async () => {
    const config = await firstPartyClient();
    const { paths, tokens } = await signIn(config, 'openid email offline_access');
    expect(paths).toEqual(['/interaction/:uid/login', '/auth/:uid']);
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid']);
    expect(tokens.claims()?.['email']).toBe(user.email);
    expect(tokens.refresh_token).toBeTruthy();
    expect((await oidc.refreshTokenGrant(config, tokens.refresh_token!)).scope?.split(' ').sort()).toEqual([
      'email',
      'offline_access',
      'openid',
    ]);
  });

  it("extends the session's grant at the consent step when a login asks a first-party client's grant for more", async () => {
    const config = await firstPartyClient();
    const browser = new Browser();
    const first = await signIn(config, 'openid', {}, browser);
    expect(first.tokens.claims()?.['email']).toBeUndefined();
    const again = await signIn(config, 'openid email', { prompt: 'login' }, browser);
    expect(again.paths).toEqual(['/interaction/:uid/login', '/auth/:uid', '/interaction/:uid', '/auth/:uid']);
    expect(again.tokens.scope?.split(' ').sort()).toEqual(['email', 'openid']);
    expect(again.tokens.claims()?.['email']).toBe(user.email);
  });
});
