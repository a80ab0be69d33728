import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPage } from '../support/browser.js';
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
});
