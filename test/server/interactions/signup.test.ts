import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { Browser, isPage, type Page, type Visit } from '../../support/browser.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { logSink } from '../../support/log-sink.js';
import { clientCredentialsToken, managementClient } from '../../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../../support/relying-party.js';
import { linkIn, nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../../support/smtp-capture.js';
import { takeEvents } from '../../support/take-events.js';
import { startTestTessera } from '../../support/tessera.js';

/** Sign-ups one IP may make per window here: low, so the limit is reached in a few requests. */
const IP_LIMIT = 3;

describe('signing up from the login page', () => {
  const logs: unknown[] = [];
  let smtp: TestSmtp;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;
  let nextIp = 1;

  beforeAll(async () => {
    smtp = await startSmtp();
    tessera = await startTestTessera({
      env: { SMTP_URL: smtpUrl(smtp.port), TRUST_PROXY: '1', LOGIN_IP_MAX_FAILURES: String(IP_LIMIT) },
      logger: createLogger('debug', logSink(logs)),
    });
    const client = await createClient(tessera, { client_name: 'Shop' });
    const admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    await admin.connections.create.mutate({
      name: 'Closed',
      strategy: 'database',
      options: { disable_signup: true },
      enabled_clients: [client.client_id],
    });
    await admin.connections.create.mutate({
      name: 'Usernames',
      strategy: 'database',
      options: { requires_username: true },
      enabled_clients: [client.client_id],
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await smtp?.close();
  });

  /** A browser of its own network, so each test's sign-ups count on their own. */
  const newBrowser = () => new Browser({ 'x-forwarded-for': `198.51.100.${nextIp++}` });
  const newEmail = () => `new-${Math.random().toString(36).slice(2, 10)}@example.com`;

  function page(visit: Visit): Page {
    if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
    return visit;
  }

  async function loginPage(browser: Browser, extraParams: Record<string, string> = {}) {
    const started = await openLoginPage(config, 'openid email', extraParams, browser);
    const shown = page(started.page);
    const uid = /\/interaction\/([^/]+)\//.exec(shown.document.querySelector('form')?.getAttribute('action') ?? '')?.[1];
    if (!uid) throw new Error('no interaction on the login page');
    return { ...started, page: shown, uid };
  }

  async function signupPage(browser: Browser) {
    const login = await loginPage(browser);
    const link = login.page.document.querySelector('a[href*="/signup"]')?.getAttribute('href');
    if (!link) throw new Error('no sign-up link on the login page');
    return { ...login, signup: page(await browser.navigate(new URL(link, tessera.issuer).toString())) };
  }

  async function signUp(browser: Browser, values: Record<string, string>) {
    const started = await signupPage(browser);
    return { ...started, answer: page(await browser.submit(started.signup, values)) };
  }

  const usersWith = (email: string) => tessera.services.userService.getByEmail(email);
  const continueUrl = (uid: string) => `${tessera.issuer}/interaction/${uid}/signup/continue`;

  it('links each database connection that allows sign-up to its sign-up page, and every one to its password reset', async () => {
    const { page: shown, uid } = await loginPage(newBrowser());
    const hrefs = shown.document.querySelectorAll('a').map((link) => link.getAttribute('href'));
    expect(hrefs).toContain(`/interaction/${uid}/signup?connection=Username-Password`);
    expect(hrefs).not.toContain(`/interaction/${uid}/signup?connection=Closed`);
    // This page asks for no username, so a connection that requires one takes no sign-ups here.
    expect(hrefs).not.toContain(`/interaction/${uid}/signup?connection=Usernames`);
    expect(hrefs).toContain(`/interaction/${uid}/forgot?connection=Username-Password`);
    expect(hrefs).toContain(`/interaction/${uid}/forgot?connection=Closed`);
  });

  it('states the password policy before anything is submitted, and asks with minlength and autocomplete hints', async () => {
    const { signup } = await signupPage(newBrowser());
    expect(signup.status).toBe(200);
    expect(signup.document.querySelector('#password-policy')?.text).toBe('At least 8 characters.');
    const input = (name: string) => signup.document.querySelector(`input[name=${name}]`);
    expect(input('password')?.getAttribute('minlength')).toBe('8');
    expect(input('password')?.getAttribute('autocomplete')).toBe('new-password');
    expect(input('email')?.getAttribute('autocomplete')).toBe('email');
    expect(input('email')?.getAttribute('type')).toBe('email');
    expect(input('name')?.getAttribute('autocomplete')).toBe('name');
    expect(input('name')?.hasAttribute('required')).toBe(false);
  });

  it('refuses a password shorter than the policy with the form again, creating nothing', async () => {
    const email = newEmail();
    const { answer } = await signUp(newBrowser(), { email, password: 'short', name: 'Ann' });
    expect(answer.status).toBe(400);
    expect(answer.document.querySelector('.error')?.text).toBe('The password must be at least 8 characters long.');
    expect(answer.document.querySelector('input[name=email]')?.getAttribute('value')).toBe(email);
    expect(await usersWith(email)).toEqual([]);
  });

  it('refuses an address that is not one, creating nothing', async () => {
    const { answer } = await signUp(newBrowser(), { email: 'not-an-address', password: 'long enough password' });
    expect(answer.status).toBe(400);
    expect(answer.document.querySelector('.error')?.text).toBe('Enter a valid email address.');
    expect(await usersWith('not-an-address')).toEqual([]);
  });

  it('creates a new address’s user unverified, publishes user.created, and mails it a link to verify the address', async () => {
    const email = newEmail();
    let answer: Page | undefined;
    const events = await takeEvents(tessera.services.events, {}, 1, async () => {
      ({ answer } = await signUp(newBrowser(), { email, password: 'long enough password', name: 'Ann Lee' }));
    });
    expect(answer?.status).toBe(200);
    expect(answer?.document.querySelector('h1')?.text).toBe('Check your email');
    const [user, ...others] = await usersWith(email);
    expect(others).toEqual([]);
    expect(user).toMatchObject({ email, email_verified: false, name: 'Ann Lee' });
    expect(events).toEqual([expect.objectContaining({ type: 'user.created', user_id: user?.user_id })]);

    const message = await nextMessage(smtp, email, { subject: /Verify your email for Shop/ });
    expect(new URL(linkIn(message)).pathname).toBe('/tickets/verify-email');
  });

  it('answers a taken address with the very same page, tells its owner, and creates no second user', async () => {
    const email = newEmail();
    const values = { email, password: 'long enough password', name: 'Ann Lee' };
    const fresh = await signUp(newBrowser(), values);
    const taken = await signUp(newBrowser(), { ...values, password: 'another long password' });

    expect(taken.answer.status).toBe(fresh.answer.status);
    expect(taken.answer.headers?.get('content-type')).toBe(fresh.answer.headers?.get('content-type'));
    expect(taken.answer.html.replaceAll(taken.uid, '')).toBe(fresh.answer.html.replaceAll(fresh.uid, ''));
    expect(await usersWith(email)).toHaveLength(1);
    const notice = await nextMessage(smtp, email, { subject: /Someone tried to sign up to Shop/ });
    expect(new URL(linkIn(notice)).pathname).toBe('/tickets/reset-password');
  });

  it('answers an address taken by a user an operator created as it answers a new one', async () => {
    const existing = await createUser(tessera);
    const taken = await signUp(newBrowser(), { email: existing.email, password: 'long enough password' });
    expect(taken.answer.status).toBe(200);
    expect(taken.answer.document.querySelector('h1')?.text).toBe('Check your email');
    expect(await usersWith(existing.email)).toHaveLength(1);
    await nextMessage(smtp, existing.email, { subject: /Someone tried to sign up/ });
  });

  it('offers no sign-up for a connection with disable_signup, and refuses one with 403', async () => {
    const browser = newBrowser();
    const { page: shown, uid } = await loginPage(browser, { connection: 'Closed' });
    expect(shown.document.querySelector('a[href*="/signup"]')).toBeNull();
    expect(shown.document.querySelector('a[href*="/forgot"]')).not.toBeNull();

    const form = page(await browser.navigate(`${tessera.issuer}/interaction/${uid}/signup?connection=Closed`));
    expect(form.status).toBe(403);
    const email = newEmail();
    const posted = await browser.request(`${tessera.issuer}/interaction/${uid}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ connection: 'Closed', email, password: 'long enough password' }),
    });
    expect(posted.status).toBe(403);
    expect(await posted.json()).toMatchObject({ error: 'access_denied' });
    expect(await usersWith(email)).toEqual([]);
  });

  it('refuses sign-ups from an IP over its limit with 429 and Retry-After, creating nothing', async () => {
    const browser = newBrowser();
    const { signup } = await signupPage(browser);
    for (let attempt = 0; attempt < IP_LIMIT; attempt += 1) {
      expect(page(await browser.submit(signup, { email: newEmail(), password: 'long enough password' })).status).toBe(200);
    }
    const email = newEmail();
    const refused = page(await browser.submit(signup, { email, password: 'long enough password' }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.document.querySelector('.error')?.text).toMatch(/^Too many requests from your network\. Try again in /);
    expect(await usersWith(email)).toEqual([]);
  });

  it('shows the login page with the same neutral word to a browser that continues before verifying, whichever the address', async () => {
    const email = newEmail();
    const fresh = await signUp(newBrowser(), { email, password: 'long enough password' });
    const taken = await signUp(newBrowser(), { email, password: 'long enough password' });
    const freshContinued = page(await fresh.browser.navigate(continueUrl(fresh.uid)));
    const takenContinued = page(await taken.browser.navigate(continueUrl(taken.uid)));

    expect(freshContinued.status).toBe(200);
    expect(freshContinued.document.querySelector('.notice')?.text).toBe('Follow the link we sent to continue, or log in.');
    expect(freshContinued.document.querySelector('input[name=password]')).not.toBeNull();
    expect(takenContinued.status).toBe(200);
    expect(takenContinued.html.replaceAll(taken.uid, '')).toBe(freshContinued.html.replaceAll(fresh.uid, ''));
  });

  it('logs the new user in once the address is verified: the application gets a code whose ID token is theirs', async () => {
    const email = newEmail();
    const signedUp = await signUp(newBrowser(), { email, password: 'long enough password' });
    const [user] = await usersWith(email);
    if (!user) throw new Error('the sign-up created no user');
    // Stands in for following the mailed link: the verify page is built apart (/tickets/verify-email).
    await tessera.services.userService.update(user.user_id, { email_verified: true });

    const continued = await signedUp.browser.navigate(continueUrl(signedUp.uid), REDIRECT_URI);
    if (isPage(continued)) throw new Error(`the sign-up did not continue: ${continued.status} ${continued.html.slice(0, 300)}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(continued.redirect), {
      pkceCodeVerifier: signedUp.codeVerifier,
      expectedState: signedUp.state,
      expectedNonce: signedUp.nonce,
    });
    expect(tokens.claims()).toMatchObject({ sub: user.user_id, email, email_verified: true });
  });

  it('answers a continue link opened in another browser with a page saying where to go on, not an OAuth error', async () => {
    const signedUp = await signUp(newBrowser(), { email: newEmail(), password: 'long enough password' });
    const elsewhere = page(await newBrowser().navigate(continueUrl(signedUp.uid)));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.document.querySelector('h1')?.text).toBe('Continue in your application');
    expect(elsewhere.html).not.toMatch(/invalid_request|SessionNotFound/);
  });

  it('writes no link and no token of any message to the log', async () => {
    expect(smtp.received.length).toBeGreaterThan(0);
    const written = JSON.stringify(logs);
    for (const message of smtp.received) {
      const link = new URL(linkIn(message));
      const token = link.searchParams.get('ticket') ?? link.search;
      expect(written).not.toContain(token);
      expect(written).not.toContain(link.toString());
    }
    expect(written).toContain('user signed up; verification sent');
  });
});
