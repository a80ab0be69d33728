/**
 * "Sign in with a passkey" on the login page, in Debian's Chromium with a virtual authenticator
 * (Chrome DevTools Protocol): the passkey is registered through me.passkeys by a software
 * authenticator and handed to the browser's authenticator, so these tests need nothing but the
 * login page. Enrolling from the account page is test/account/passkeys.test.ts.
 */
import type * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../adapters/postgres/free-port.js';
import { ACR_MULTI_FACTOR } from '../../../server/mfa/authentication-methods.js';
import { isPage } from '../../support/browser.js';
import { launchChromium, pageErrors } from '../../support/chromium.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../../support/relying-party.js';
import { createSoftwareAuthenticator } from '../../support/software-authenticator.js';
import { startTestTessera } from '../../support/tessera.js';
import { addVirtualAuthenticator, authorizeIn } from '../../support/virtual-authenticator.js';

describe('passkey sign-in on the login page', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let issuer: string;
  let chromium: Browser;
  let config: oidc.Configuration;

  /** A user with a passkey registered through me.passkeys, as a software authenticator holds it. */
  async function personWithPasskey(options: { synced?: boolean } = {}) {
    const person = await createUser(tessera);
    const userId = person.profile.user_id;
    const { passkeys } = tessera.services.management;
    const authenticator = createSoftwareAuthenticator({ origin: issuer, synced: options.synced ?? false });
    const { authenticator: registered } = await passkeys.register(
      userId,
      authenticator.register(await passkeys.registrationOptions(userId)),
    );
    return { ...person, userId, authenticator, registered };
  }

  /**
   * A browser context whose virtual authenticator holds the person's passkey, on the login page of
   * an authorization request. Chromium's virtual authenticator answers an autofill prompt at once,
   * as if the person had picked the passkey: `autofill: false` is a browser without it, where the
   * button is the way.
   */
  async function loginPage(
    passkey: ReturnType<typeof createSoftwareAuthenticator> | undefined,
    { autofill = true, synced = false, setup }: { autofill?: boolean; synced?: boolean; setup?: (page: Page) => Promise<unknown> } = {},
  ) {
    const context: BrowserContext = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    const passkeyPosts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/passkey')) passkeyPosts.push(request.url());
    });
    if (!autofill) {
      // Only where WebAuthn exists: the application's page at REDIRECT_URI is no secure context.
      await page.addInitScript(() => {
        if ('PublicKeyCredential' in globalThis) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
      });
    }
    await setup?.(page);
    const authenticator = await addVirtualAuthenticator(context, page);
    if (passkey) await authenticator.hold(passkey, { rpId: 'localhost', synced });
    const { landing, tokens } = await authorizeIn(page, config);
    return { page, errors, tokens, context, landing, passkeyPosts };
  }

  beforeAll(async () => {
    const port = await freePort();
    // WebAuthn takes no IP address as relying party id, and Chromium counts localhost as a secure context.
    issuer = `http://localhost:${port}`;
    tessera = await startTestTessera({ port, env: { ISSUER: issuer } });
    const client = await createClient(tessera);
    config = await discover(issuer, client.client_id, client.client_secret);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  it('signs in to an application with a passkey alone: the ID token says hwk and mfa, and acr multi-factor', async () => {
    const person = await personWithPasskey();
    const { page, errors, tokens, context } = await loginPage(person.authenticator, { autofill: false });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = (await tokens()).claims();
    expect(claims?.sub).toBe(person.userId);
    expect(claims?.['amr']).toEqual(['hwk', 'mfa']);
    expect(claims?.['acr']).toBe(ACR_MULTI_FACTOR);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('counts a synced passkey as swk', async () => {
    const person = await personWithPasskey({ synced: true });
    const { page, tokens, context } = await loginPage(person.authenticator, { autofill: false, synced: true });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    expect((await tokens()).claims()?.['amr']).toEqual(['swk', 'mfa']);
    await context.close();
  });

  it('offers the passkey in the username field’s autofill, which signs in once chosen, without the button', async () => {
    // The field that offers it, read from a login page of its own: in the browser, the autofill
    // may sign in and navigate away before the page's response could be read.
    const plain = await openLoginPage(config, 'openid');
    if (!isPage(plain.page)) throw new Error('expected the login page');
    expect(plain.page.document.querySelector('input[name=username]')?.getAttribute('autocomplete')).toBe('username webauthn');
    const person = await personWithPasskey();
    const { tokens, context } = await loginPage(person.authenticator);
    const claims = (await tokens()).claims();
    expect(claims?.sub).toBe(person.userId);
    expect(claims?.['amr']).toEqual(['hwk', 'mfa']);
    await context.close();
  });

  it('refuses a passkey its person removed, on the login page, and the password still works', async () => {
    const person = await personWithPasskey();
    await tessera.services.management.authenticators.remove(person.userId, person.registered.id);
    const { page, tokens, context } = await loginPage(person.authenticator, { autofill: false });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('This passkey was not accepted.');
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect((await tokens()).claims()?.['amr']).toEqual(['pwd']);
    await context.close();
  });

  it('does not offer the autofill again on the page refusing a passkey, so a browser answering it by itself is refused once', async () => {
    const person = await personWithPasskey();
    await tessera.services.management.authenticators.remove(person.userId, person.registered.id);
    const { page, context, passkeyPosts } = await loginPage(person.authenticator);
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('This passkey was not accepted.');
    expect(passkeyPosts).toHaveLength(1);
    await context.close();
  });

  it('shows no passkey sign-in to a browser without WebAuthn', async () => {
    const { page, errors, context } = await loginPage(undefined, {
      setup: (page) =>
        page.addInitScript(() => {
          Reflect.deleteProperty(globalThis, 'PublicKeyCredential');
        }),
    });
    await page.getByLabel('Password').waitFor();
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);
    expect(await page.getByLabel('Email or username').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('answers a garbled passkey answer with the login page and a 400, and asks for a discoverable passkey with the user verified', async () => {
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const form = page.document.querySelector('#passkey-form');
    const action = new URL(form?.getAttribute('action') ?? '', issuer).toString();
    const options = await browser.request(new URL(form?.getAttribute('data-options') ?? '', issuer).toString(), { method: 'POST' });
    expect(options.status).toBe(200);
    expect(await options.json()).toMatchObject({ rpId: 'localhost', userVerification: 'required', allowCredentials: [] });

    for (const response of ['not json', JSON.stringify({ id: 'x', type: 'public-key' })]) {
      const refused = await browser.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ response }),
      });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('could not be read');
    }
    for (const src of page.document.querySelectorAll('script').map((script) => script.getAttribute('src') ?? '')) {
      const script = await fetch(new URL(src, issuer));
      expect(script.headers.get('content-type')).toMatch(/^application\/javascript/);
    }
  });

  /** The login page over plain HTTP, answered by a software authenticator: each answer asks the page for a fresh challenge first. */
  async function httpLoginPage(passkey: ReturnType<typeof createSoftwareAuthenticator>, application = config) {
    const { page, browser } = await openLoginPage(application, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const form = page.document.querySelector('#passkey-form');
    const optionsUrl = new URL(form?.getAttribute('data-options') ?? '', issuer).toString();
    const action = new URL(form?.getAttribute('action') ?? '', issuer).toString();
    // A character inside the signature's r value, not the last one, whose low bits may be padding.
    const flipped = (signature: string) => `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    return async (counter: number, { tampered = false } = {}) => {
      const options = await (await browser.request(optionsUrl, { method: 'POST' })).json();
      const assertion = passkey.assert(options, counter);
      const response = tampered
        ? { ...assertion, response: { ...assertion.response, signature: flipped(assertion.response.signature) } }
        : assertion;
      const answered = await browser.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ response: JSON.stringify(response) }),
      });
      return { status: answered.status, retryAfter: answered.headers.get('retry-after'), html: await answered.text() };
    };
  }

  it('counts refused passkey answers as failed passwords: past the limit, even the right answer is 429 with Retry-After', async () => {
    const person = await personWithPasskey();
    const answer = await httpLoginPage(person.authenticator);
    const limit = tessera.services.config.limits.bruteForceMaxAttempts;
    for (let attempt = 1; attempt <= limit; attempt += 1) expect((await answer(attempt, { tampered: true })).status).toBe(401);
    const blocked = await answer(limit + 1);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
  });

  it('refuses a blocked user’s passkey as their password', async () => {
    const person = await personWithPasskey();
    await tessera.services.management.users.update(person.userId, { blocked: true });
    const refused = await (await httpLoginPage(person.authenticator))(1);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('This account is blocked.');
  });

  it('refuses a passkey for an application that offers none of its user’s connections', async () => {
    const person = await personWithPasskey();
    const other = await tessera.services.connections.create({ id: 'con_elsewhere', name: 'Elsewhere', strategy: 'database', options: {} });
    const client = { client_id: 'elsewhere-app', client_secret: 'a secret for the application elsewhere, long enough' };
    await tessera.services.management.clients.register(
      { ...client, client_name: 'Elsewhere', redirect_uris: [REDIRECT_URI], response_types: ['code'], grant_types: ['authorization_code'] },
      [other.name],
    );
    const answer = await httpLoginPage(person.authenticator, await discover(issuer, client.client_id, client.client_secret));
    const refused = await answer(1);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Your account cannot sign in to this application with a passkey.');
  });
});
