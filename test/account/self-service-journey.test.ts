/**
 * Issue 13's whole journey in Debian's Chromium, against a real Tessera sending real mail: a new
 * person signs up from an application's login page, verifies their email from the message,
 * forgets their password and resets it from the next message, signs in with the new one, edits
 * their name on the account page, and the application's next ID token and /userinfo carry it.
 * The links die at their first use, and no log line holds one.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { adminClient } from '../support/management-client.js';
import { discover } from '../support/relying-party.js';
import { linkIn, nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../support/smtp-capture.js';
import { startTestTessera } from '../support/tessera.js';

describe('a person running their own account, in a browser', () => {
  let smtp: TestSmtp;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let chromium: Browser;
  let config: oidc.Configuration;
  const logs: unknown[] = [];
  // The application's callback, a real listener: Chromium refuses the shared REDIRECT_URI's port 9,
  // and Playwright does not intercept the target of a redirect.
  let app: Server;
  let redirectUri: string;

  beforeAll(async () => {
    app = createServer((_request, response) => response.end('back in the app'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    smtp = await startSmtp();
    tessera = await startTestTessera({ env: { SMTP_URL: smtpUrl(smtp.port) }, logger: createLogger('debug', logSink(logs)) });
    admin = await adminClient(tessera.issuer);
    const client = await createClient(tessera, { client_name: 'Journey App', redirect_uris: [redirectUri] });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
    await smtp?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  /**
   * Starts an authorization request of the application in `page`; `tokens()` waits until the
   * browser is sent back to the application (whose callback the test answers) and redeems the code.
   */
  async function authorize(page: Page, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    await page.goto(url.href);
    return {
      tokens: async () => {
        await page.waitForURL((current) => current.href.startsWith(redirectUri));
        return oidc.authorizationCodeGrant(config, new URL(page.url()), {
          pkceCodeVerifier: verifier,
          expectedState: state,
          expectedNonce: nonce,
        });
      },
    };
  }

  it('signs up, verifies, resets the password, signs in with it, edits the profile, and the application sees the change', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    const email = `journey-${randomBytes(4).toString('hex')}@example.com`;

    // Sign-up from the application's login page; the account waits for its email to be verified.
    const signup = await authorize(page);
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill('a first journey passphrase');
    await page.getByLabel(/^Name/).fill('Journey Person');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const verifyLink = linkIn(await nextMessage(smtp, email));
    await page.goto(verifyLink);
    const first = await signup.tokens();
    const userId = first.claims()?.sub ?? '';
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ email, email_verified: true, name: 'Journey Person' });

    // Forgotten password: the link in the next message sets a new one.
    const sent = smtp.received.length;
    await authorize(page, { prompt: 'login' });
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const resetLink = linkIn(await nextMessage(smtp, email, { after: sent }));
    await page.goto(resetLink);
    await page.getByLabel('New password', { exact: true }).fill('a second journey passphrase');
    await page.getByLabel('New password again').fill('a second journey passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor();

    // The new password signs in.
    const signIn = await authorize(page, { prompt: 'login' });
    await page.getByLabel('Email or username').fill(email);
    await page.getByLabel('Password').fill('a second journey passphrase');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect((await signIn.tokens()).claims()?.sub).toBe(userId);

    // The account page, signed in by the same browser session: a new name.
    await page.goto(`${tessera.issuer}/account/`);
    await page.getByLabel('Name', { exact: true }).fill('Renamed Journey Person');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();

    // The application's next sign-in (the session answers it at once) and /userinfo carry it.
    const next = await (await authorize(page)).tokens();
    expect(next.claims()).toMatchObject({ sub: userId, name: 'Renamed Journey Person' });
    const userinfo = await oidc.fetchUserInfo(config, next.access_token, userId);
    expect(userinfo['name']).toBe('Renamed Journey Person');

    expect(errors).toEqual([]);

    // Both links died at their first use: each answers 403 with a page saying so.
    for (const link of [verifyLink, resetLink]) {
      expect((await page.goto(link))?.status()).toBe(403);
      await page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    }
    // Logged at debug level throughout, and still no line carries a link's token.
    expect(logs.length).toBeGreaterThan(0);
    const logged = JSON.stringify(logs);
    for (const link of [verifyLink, resetLink]) expect(logged).not.toContain(new URL(link).searchParams.get('ticket'));
    await context.close();
  });
});
