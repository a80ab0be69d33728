/**
 * A passkey as the second factor of a login, and of a step-up inside a session: over HTTP with
 * the form driver and a software authenticator answering the page's own challenge, and once in
 * Chromium with the virtual authenticator. The passkey adds hwk (or swk) and mfa to the first
 * factor's amr; the challenge asks for that user's passkeys only; refused answers count like
 * wrong codes.
 */
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import type { Browser as Chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { startTestTessera } from '../support/tessera.js';
import { addVirtualAuthenticator, authorizeIn } from '../support/virtual-authenticator.js';

const MAX_ATTEMPTS = 3;

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

/** A character inside the signature's r value, not the last one, whose low bits may be padding. */
const flipped = (signature: string) => `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;

describe('a passkey as the second factor', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let issuer: string;
  /** No mfa_policy: MFA_POLICY, enrolled by default. */
  let config: oidc.Configuration;
  /** mfa_policy never: single-factor logins, unless acr_values asks. */
  let relaxed: oidc.Configuration;
  let chromium: Chromium | undefined;

  beforeAll(async () => {
    const port = await freePort();
    // WebAuthn takes no IP address as relying party id, and Chromium counts localhost as a secure context.
    issuer = `http://localhost:${port}`;
    tessera = await startTestTessera({ port, env: { ISSUER: issuer, BRUTE_FORCE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
    const client = await createClient(tessera);
    config = await discover(issuer, client.client_id, client.client_secret);
    const relaxedClient = await createClient(tessera, { mfa_policy: 'never' });
    relaxed = await discover(issuer, relaxedClient.client_id, relaxedClient.client_secret);
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  /**
   * A user with a password and a passkey registered through me.passkeys, as a software authenticator
   * holds it, with the recovery codes that came with it; `withoutCodes`: registered by the ceremony
   * alone, as a passkey added before recovery codes came with one.
   */
  async function personWithPasskey({ synced = false, withoutCodes = false } = {}) {
    const person = await createUser(tessera);
    const userId = person.profile.user_id;
    const { passkeys } = tessera.services.management;
    const authenticator = createSoftwareAuthenticator({ origin: issuer, synced });
    const response = authenticator.register(await passkeys.registrationOptions(userId));
    if (withoutCodes) {
      await tessera.services.passkeys.register(userId, response);
      return { ...person, userId, authenticator, recoveryCodes: [] };
    }
    const { recovery_codes } = await passkeys.register(userId, response);
    return { ...person, userId, authenticator, recoveryCodes: recovery_codes ?? [] };
  }

  /** An authorization request in `browser`; `finish` redeems the code it ends with. */
  async function authorize(browser: Browser, params: Record<string, string> = {}, application = config) {
    const started = await openLoginPage(application, 'openid', params, browser);
    const finish = async (visit: Visit) => {
      if (isPage(visit)) throw new Error(`expected a redirect to the application, got ${visit.status}: ${visit.html.slice(0, 400)}`);
      const tokens = await oidc.authorizationCodeGrant(application, new URL(visit.redirect), {
        pkceCodeVerifier: started.codeVerifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
      return tokens.claims();
    };
    return { visit: started.page, finish };
  }

  /** The password on the login page; where it led, and how to finish the flow. */
  async function afterPassword(person: { email: string; password: string }, application = config, browser = new Browser()) {
    const started = await authorize(browser, {}, application);
    const visit = await browser.submit(page(started.visit), { username: person.email, password: person.password }, REDIRECT_URI);
    return { visit, browser, finish: started.finish };
  }

  /** What the step's passkey form says: where its script asks for a challenge, and where it posts the answer. */
  function passkeyFormOf(step: Page) {
    const form = step.document.querySelector('#passkey-form');
    if (!form) throw new Error(`no passkey form on ${step.url}: ${step.html.slice(0, 400)}`);
    return {
      optionsUrl: new URL(String(form.getAttribute('data-options')), step.url).toString(),
      action: new URL(String(form.getAttribute('action')), step.url).toString(),
      failed: form.getAttribute('data-failed'),
      label: form.querySelector('button')?.text,
    };
  }

  /** What the page's script does: a challenge, the authenticator's answer, posted as the form. */
  async function answerWithPasskey(
    browser: Browser,
    step: Page,
    authenticator: ReturnType<typeof createSoftwareAuthenticator>,
    counter: number,
    { tampered = false, optionsUrl = passkeyFormOf(step).optionsUrl } = {},
  ) {
    const options = await (await browser.request(optionsUrl, { method: 'POST' })).json();
    const assertion = authenticator.assert(options, counter);
    const response = tampered
      ? { ...assertion, response: { ...assertion.response, signature: flipped(assertion.response.signature) } }
      : assertion;
    return browser.navigate(passkeyFormOf(step).action, REDIRECT_URI, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ response: JSON.stringify(response) }),
    });
  }

  it('asks a user whose only factor is a passkey for it after the password, for their passkeys only; it gives amr pwd, hwk, mfa', async () => {
    const person = await personWithPasskey();
    const { visit, browser, finish } = await afterPassword(person);
    const step = page(visit);
    expect(step.status).toBe(200);
    expect(step.url).toMatch(/\/interaction\/[^/]+\/mfa$/);
    expect(step.headers?.get('content-security-policy')).toContain("script-src 'self'");
    const form = passkeyFormOf(step);
    expect(form.label).toBe('Use your passkey');
    expect(form.failed).toBe('Your passkey did not answer. Try again, or choose another way below.');
    expect(step.document.querySelector('a[data-method=recovery-code]')?.text).toBe('Use a recovery code');

    const options = await (await browser.request(form.optionsUrl, { method: 'POST' })).json();
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'preferred' });
    expect(options.allowCredentials.map((credential: { id: string }) => credential.id)).toEqual([person.authenticator.credentialId]);

    const claims = await finish(await answerWithPasskey(browser, step, person.authenticator, 1));
    expect(claims).toMatchObject({ sub: person.userId, amr: ['pwd', 'hwk', 'mfa'], acr: ACR_MULTI_FACTOR });
  });

  it('lets a user whose only factor is a passkey in with one of the recovery codes that came with it, once, after losing the passkey', async () => {
    const person = await personWithPasskey();
    expect(person.recoveryCodes).toHaveLength(10);
    const [code = ''] = person.recoveryCodes;
    const first = await afterPassword(person);
    const recoveryStep = page(await first.browser.navigate(`${page(first.visit).url}?method=recovery-code`));
    expect(await first.finish(await first.browser.submit(recoveryStep, { code }, REDIRECT_URI))).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
    });
    const second = await afterPassword(person);
    const again = page(await second.browser.navigate(`${page(second.visit).url}?method=recovery-code`));
    expect(page(await second.browser.submit(again, { code }, REDIRECT_URI)).status).toBe(401);
  });

  it('counts a synced passkey as swk; the script’s failure text offers no other way when there is none, and never the password', async () => {
    const person = await personWithPasskey({ synced: true, withoutCodes: true });
    const { visit, browser, finish } = await afterPassword(person);
    expect(passkeyFormOf(page(visit)).failed).toBe('Your passkey did not answer. Try again.');
    expect(page(visit).document.querySelector('#passkey-unsupported')?.text).toBe('This browser cannot use your passkey.');
    expect(await finish(await answerWithPasskey(browser, page(visit), person.authenticator, 1))).toMatchObject({
      amr: ['pwd', 'swk', 'mfa'],
    });
  });

  it('keeps the authenticator app first for a user holding both, with "Use a passkey" beside it leading to the passkey', async () => {
    const person = await personWithPasskey();
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(person.profile);
    const code = new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate();
    await tessera.services.mfaEnrolment.confirmTotp(person.userId, enrolment.authenticator_id, code);

    const { visit, browser, finish } = await afterPassword(person);
    const step = page(visit);
    expect(step.document.querySelector('input[name=method]')?.getAttribute('value')).toBe('totp');
    expect(step.document.querySelector('#passkey-form')).toBeNull();
    const link = step.document.querySelector('a[data-method=webauthn]');
    expect(link?.text).toBe('Use a passkey');
    const passkeyStep = page(await browser.navigate(new URL(String(link?.getAttribute('href')), step.url).toString()));
    expect(passkeyFormOf(passkeyStep).failed).toBe('Your passkey did not answer. Try again, or choose another way below.');
    expect(passkeyStep.document.querySelector('a[data-method=totp]')?.text).toBe('Use your authenticator app');
    expect(await finish(await answerWithPasskey(browser, passkeyStep, person.authenticator, 1))).toMatchObject({
      amr: ['pwd', 'hwk', 'mfa'],
    });
  });

  it('refuses another person’s passkey, and an answer to the login page’s passwordless challenge, at this user’s second step', async () => {
    const person = await personWithPasskey();
    const other = await personWithPasskey();
    const { visit, browser, finish } = await afterPassword(person);
    const step = page(visit);

    const foreign = page(await answerWithPasskey(browser, step, other.authenticator, 1));
    expect(foreign.status).toBe(401);
    expect(foreign.document.querySelector('[role=alert]')?.text).toBe('This passkey was not accepted. Try again.');

    // The login page's challenge is bound to the interaction, not to this step: its answer is no second factor.
    const uid = String(new URL(step.url).pathname.split('/')[2]);
    const passwordless = page(
      await answerWithPasskey(browser, step, person.authenticator, 1, { optionsUrl: `${issuer}/interaction/${uid}/passkey/options` }),
    );
    expect(passwordless.status).toBe(401);

    expect(await finish(await answerWithPasskey(browser, step, person.authenticator, 2))).toMatchObject({ sub: person.userId });
  });

  it('counts refused passkey answers like wrong codes: past the limit, even the right answer is 429 with Retry-After', async () => {
    const person = await personWithPasskey();
    const { visit, browser } = await afterPassword(person);
    const step = page(visit);
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      statuses.push(page(await answerWithPasskey(browser, step, person.authenticator, attempt, { tampered: true })).status);
    }
    const blocked = page(await answerWithPasskey(browser, step, person.authenticator, MAX_ATTEMPTS + 1));
    expect([...statuses, blocked.status]).toEqual([401, 401, 401, 429]);
    expect(Number(blocked.headers?.get('retry-after'))).toBeGreaterThan(0);
    // Garbled answers count too: they are no way around the limit.
    await tessera.services.userService.unblock(person.userId);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const garbled = page(
        await browser.navigate(passkeyFormOf(step).action, REDIRECT_URI, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ response: 'not json' }),
        }),
      );
      expect(garbled.status).toBe(401);
    }
    expect(page(await answerWithPasskey(browser, step, person.authenticator, MAX_ATTEMPTS + 2)).status).toBe(429);
  });

  it('refuses a challenge for a login that waits for no passkey', async () => {
    const person = await createUser(tessera);
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(person.profile);
    const code = new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate();
    await tessera.services.mfaEnrolment.confirmTotp(person.profile.user_id, enrolment.authenticator_id, code);
    const { visit, browser } = await afterPassword(person);
    const step = page(visit);
    const refused = await browser.request(`${step.url}/passkey/options`, { method: 'POST' });
    expect(refused.status).toBe(400);
  });

  it('steps up a single-factor session with the passkey when an application asks acr_values for multi-factor, without the password again', async () => {
    const person = await personWithPasskey();
    const signedIn = await afterPassword(person, relaxed);
    expect(await signedIn.finish(signedIn.visit)).toMatchObject({ amr: ['pwd'] });

    const stepUp = await authorize(signedIn.browser, { acr_values: ACR_MULTI_FACTOR }, relaxed);
    const step = page(stepUp.visit);
    expect(step.url).toMatch(/\/mfa$/);
    expect(step.document.querySelector('input[name=password]')).toBeNull();
    const claims = await stepUp.finish(await answerWithPasskey(signedIn.browser, step, person.authenticator, 1));
    expect(claims).toMatchObject({ sub: person.userId, amr: ['pwd', 'hwk', 'mfa'], acr: ACR_MULTI_FACTOR });
  });

  it('signs in with password and then the passkey in Chromium’s virtual authenticator, with no script error', async () => {
    const person = await personWithPasskey();
    chromium ??= await launchChromium();
    const context = await chromium.newContext();
    const browserPage = await context.newPage();
    const errors = pageErrors(browserPage);
    // Without the login page's autofill, which the virtual authenticator would answer at once with the passkey alone.
    await browserPage.addInitScript(() => {
      if ('PublicKeyCredential' in globalThis) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    });
    const authenticator = await addVirtualAuthenticator(context, browserPage);
    await authenticator.hold(person.authenticator, { rpId: 'localhost' });
    const { tokens } = await authorizeIn(browserPage, config);
    await browserPage.getByLabel('Email or username').fill(person.email);
    await browserPage.getByLabel('Password').fill(person.password);
    await browserPage.getByRole('button', { name: 'Continue' }).click();
    const button = browserPage.getByRole('button', { name: 'Use your passkey' });
    await button.waitFor();
    expect(await browserPage.getByText('This browser cannot use your passkey').count()).toBe(0);
    await button.click();
    const claims = (await tokens()).claims();
    expect(claims).toMatchObject({ sub: person.userId, amr: ['pwd', 'hwk', 'mfa'], acr: ACR_MULTI_FACTOR });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells a browser without WebAuthn on the second step that it cannot use the passkey, and offers the recovery code', async () => {
    const person = await personWithPasskey();
    chromium ??= await launchChromium();
    const context = await chromium.newContext();
    const browserPage = await context.newPage();
    await browserPage.addInitScript(() => {
      Reflect.deleteProperty(globalThis, 'PublicKeyCredential');
    });
    await authorizeIn(browserPage, config);
    await browserPage.getByLabel('Email or username').fill(person.email);
    await browserPage.getByLabel('Password').fill(person.password);
    await browserPage.getByRole('button', { name: 'Continue' }).click();
    await browserPage.getByText('This browser cannot use your passkey: choose another way below.').waitFor();
    expect(await browserPage.getByRole('button', { name: 'Use your passkey' }).isVisible()).toBe(false);
    expect(await browserPage.getByRole('link', { name: 'Use a recovery code' }).isVisible()).toBe(true);
    await context.close();
  });
});
