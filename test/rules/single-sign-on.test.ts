import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

// Counts its runs per application, names the application in the ID token, and keeps one application out.
const RULE = `
export async function onExecutePostLogin(event, api) {
  const runs = event.user.app_metadata.rule_runs ?? {};
  api.user.setAppMetadata('rule_runs', { ...runs, [event.client.name]: (runs[event.client.name] ?? 0) + 1 });
  if (event.client.name === 'Closed App') api.access.deny('Closed App is closed to you.');
  api.idToken.setCustomClaim('https://sso.test/app', event.client.name);
  api.idToken.setCustomClaim('https://sso.test/connection', event.connection.name);
}
`;

describe('post-login rules on single sign-on', () => {
  let rulesDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  const configs: Record<string, oidc.Configuration> = {};

  beforeAll(async () => {
    rulesDir = await mkdtemp(path.join(tmpdir(), 'tessera-sso-rules-'));
    await writeFile(path.join(rulesDir, '10-per-app.mjs'), RULE);
    tessera = await startTestTessera({ env: { RULES_DIR: rulesDir } });
    for (const name of ['First App', 'Second App', 'Closed App', 'Partner App']) {
      const client = await createClient(tessera, { client_name: name, is_first_party: name !== 'Partner App' });
      configs[name] = await discover(tessera.issuer, client.client_id, client.client_secret);
    }
  });
  afterAll(async () => {
    await tessera?.stop();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  /** Signs in to First App, returning the browser that now holds a session. */
  async function signedInBrowser() {
    const user = await createUser(tessera);
    const { browser, tokens } = await login(configs['First App']!, { scope: 'openid', username: user.email, password: user.password });
    expect(decodeJwt(tokens.id_token!)['https://sso.test/app']).toBe('First App');
    return { user, browser };
  }

  async function ssoTo(app: string, browser: Browser) {
    const { page, codeVerifier, state, nonce } = await openLoginPage(configs[app]!, 'openid', {}, browser);
    return { page, codeVerifier, state, nonce };
  }

  it('runs the rules for a second application reached through the session, and once only', async () => {
    const { user, browser } = await signedInBrowser();
    const { page, codeVerifier, state, nonce } = await ssoTo('Second App', browser);
    if (isPage(page)) throw new Error(`expected single sign-on, got a page: ${page.html.slice(0, 300)}`);
    const tokens = await oidc.authorizationCodeGrant(configs['Second App']!, new URL(page.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims['https://sso.test/app']).toBe('Second App');
    expect(claims['https://sso.test/connection']).toBe('Username-Password');

    const again = await ssoTo('Second App', browser);
    expect(isPage(again.page)).toBe(false);
    const profile = await tessera.services.userService.get(user.profile.user_id);
    expect(profile.app_metadata['rule_runs']).toEqual({ 'First App': 1, 'Second App': 1 });
  });

  it('denies single sign-on to an application a rule closes, with a page and no code', async () => {
    const { browser } = await signedInBrowser();
    const { page } = await ssoTo('Closed App', browser);
    if (!isPage(page)) throw new Error(`a code reached the relying party: ${page.redirect}`);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Closed App is closed to you.');
  });

  it('runs the rules before a third-party application is granted, when its consent is confirmed', async () => {
    const { user, browser } = await signedInBrowser();
    const { page } = await ssoTo('Partner App', browser);
    if (!isPage(page)) throw new Error('expected the consent page');
    expect((await tessera.services.userService.get(user.profile.user_id)).app_metadata['rule_runs']).toEqual({ 'First App': 1 });
    const after = await browser.submit(page, {}, REDIRECT_URI);
    expect(isPage(after)).toBe(false);
    expect((await tessera.services.userService.get(user.profile.user_id)).app_metadata['rule_runs']).toEqual({
      'First App': 1,
      'Partner App': 1,
    });
  });
});
