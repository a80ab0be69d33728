/**
 * Issue 14's "Done when", walked once in Debian's Chromium against a real Tessera and a real
 * openid-client application: a person enrols an authenticator app and a passkey from the account
 * page, signs in with password + code and with the passkey alone, loses the phone and gets in with
 * a recovery code (spent once), an operator resets their factors from the console, after which the
 * password alone lets them in, and an application asking for multi-factor by acr_values gets it,
 * inside that single-factor session too. Codes are computed with otpauth from the key the page
 * shows; the passkey lives in a virtual authenticator. The issuer is on localhost: WebAuthn takes
 * no IP address as relying party id.
 */
import type * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR } from '../../server/mfa/authentication-methods.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';
import { addVirtualAuthenticator, authorizeIn } from '../support/virtual-authenticator.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

interface Person {
  email: string;
  password: string;
}

describe('multi-factor authentication, as the issue is done when', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let issuer: string;
  let chromium: Browser;
  let app: oidc.Configuration;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    tessera = await startTestTessera({ port, env: { ISSUER: issuer } });
    const client = await createClient(tessera, { client_name: 'Journey App' });
    app = await discover(issuer, client.client_id, client.client_secret);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  /** A browser of its own (cookies, storage): another device the person signs in from. */
  async function device() {
    const context = await chromium.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    contexts.push(context);
    const page = await context.newPage();
    return { context, page, errors: pageErrors(page) };
  }

  async function typePassword(page: Page, person: Person) {
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  /**
   * Gives a code on the second-factor page, choosing the way first when the page offers another
   * one by default; returns the page's error, if it shows one, once the answer came back.
   */
  async function giveCode(page: Page, method: 'totp' | 'recovery-code', code: string) {
    const label = method === 'totp' ? 'Code from your authenticator app' : 'One of your recovery codes';
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    if ((await page.getByLabel(label).count()) === 0) await page.locator(`a[data-method="${method}"]`).click();
    await page.getByLabel(label).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
  }

  /** The claims of the ID token an authorization request ended with. */
  async function claimsOf(tokens: () => ReturnType<typeof oidc.authorizationCodeGrant>) {
    const claims = (await tokens()).claims();
    if (!claims) throw new Error('no ID token');
    return claims;
  }

  it('enrols an app and a passkey, signs in with each, recovers, is reset by an operator, and is stepped up by acr_values', async () => {
    const person = await createUser(tessera);
    const userId = person.profile.user_id;

    // The laptop: signed in to the account page with the password, it adds an authenticator app,
    // keeps the recovery codes shown once, and adds a passkey held by its platform authenticator.
    const laptop = await device();
    const authenticator = await addVirtualAuthenticator(laptop.context, laptop.page);
    await laptop.page.goto(`${issuer}/account/`);
    await typePassword(laptop.page, person);
    const twoStep = laptop.page.getByRole('region', { name: 'Two-step verification' });
    await twoStep.getByText('No second step yet').waitFor();
    await twoStep.getByRole('button', { name: 'Add an authenticator app' }).click();
    const secret = String(await twoStep.getByTestId('totp-secret').textContent());
    await twoStep.getByLabel('Code from the app').fill(codeAt(secret));
    await twoStep.getByRole('button', { name: 'Confirm' }).click();
    await twoStep.locator('.recovery-codes code').first().waitFor();
    const recoveryCodes = await twoStep.locator('.recovery-codes code').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    await twoStep.getByRole('button', { name: 'I have saved them' }).click();

    const passkeys = laptop.page.locator('#passkeys');
    await laptop.page.getByLabel('Passkey name').fill('Laptop');
    await laptop.page.getByRole('button', { name: 'Add a passkey' }).click();
    await passkeys.getByText('Passkey “Laptop” added.').waitFor();
    expect((await authenticator.credentials()).map((credential) => credential.rpId)).toEqual(['localhost']);
    const enrolled = await tessera.services.management.authenticators.list(userId);
    expect(enrolled.map((factor) => factor.type).sort()).toEqual(['recovery-code', 'totp', 'webauthn']);
    expect(laptop.errors).toEqual([]);

    // Another computer: password, then a code of the app.
    const office = await device();
    const withCode = await authorizeIn(office.page, app);
    await typePassword(office.page, person);
    // A step later than the one confirming the app: a spent code's step is never accepted again.
    await giveCode(office.page, 'totp', codeAt(secret, 30));
    const codeClaims = await claimsOf(withCode.tokens);
    expect(codeClaims).toMatchObject({ sub: userId, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });

    // The laptop again, its session forgotten: the passkey alone (conditional UI answers at once).
    await laptop.context.clearCookies();
    const withPasskey = await authorizeIn(laptop.page, app);
    const passkeyClaims = await claimsOf(withPasskey.tokens);
    expect(passkeyClaims).toMatchObject({ sub: userId, amr: ['hwk', 'mfa'], acr: ACR_MULTI_FACTOR });

    // The phone is lost: a recovery code lets the person in once; the same code is refused after,
    // and the next one of the list works.
    const borrowed = await device();
    const withRecovery = await authorizeIn(borrowed.page, app);
    await typePassword(borrowed.page, person);
    await giveCode(borrowed.page, 'recovery-code', String(recoveryCodes[0]));
    expect(await claimsOf(withRecovery.tokens)).toMatchObject({ sub: userId, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });

    const again = await device();
    const replay = await authorizeIn(again.page, app);
    await typePassword(again.page, person);
    await giveCode(again.page, 'recovery-code', String(recoveryCodes[0]));
    await expect(again.page.getByRole('alert').textContent()).resolves.toBe('That code is not valid. Try again.');
    await giveCode(again.page, 'recovery-code', String(recoveryCodes[1]));
    expect(await claimsOf(replay.tokens)).toMatchObject({ sub: userId, amr: ['pwd', 'otp', 'mfa'] });
    const left = (await tessera.services.management.authenticators.list(userId)).find((factor) => factor.type === 'recovery-code');
    expect(left?.name).toBe('Recovery codes, 8 left');

    // An operator resets every factor from the console's user page.
    const admin = await adminClient(issuer);
    const operator = await createUser(tessera);
    await admin.users.update.mutate({ id: operator.profile.user_id, management_scopes: [...MANAGEMENT_SCOPES] });
    const desk = await device();
    await desk.page.goto(`${issuer}/admin/users/${encodeURIComponent(userId)}`);
    await typePassword(desk.page, operator);
    const panel = desk.page.getByRole('region', { name: 'Multi-factor authentication' });
    await panel.locator('tr[data-type="webauthn"]').waitFor();
    expect((await panel.locator('tr[data-type]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-type')))).sort()).toEqual([
      'recovery-code',
      'totp',
      'webauthn',
    ]);
    await panel.getByRole('button', { name: 'Reset all factors…' }).click();
    await panel.getByRole('button', { name: 'Yes, reset all factors' }).click();
    await panel.getByText('No second factor enrolled.').waitFor();
    expect(await admin.users.authenticators.list.query({ id: userId })).toEqual([]);
    expect(desk.errors).toEqual([]);

    // Under MFA_POLICY enrolled, the password alone lets them in now: a single-factor session.
    const fresh = await device();
    const passwordOnly = await authorizeIn(fresh.page, app);
    await typePassword(fresh.page, person);
    expect(await claimsOf(passwordOnly.tokens)).toMatchObject({ sub: userId, amr: ['pwd'], acr: ACR_SINGLE_FACTOR });

    // An application asking for multi-factor inside that session: no password again, but a second
    // factor, which this person must first add (shown as QR code and key, confirmed by a code).
    await fresh.page.unrouteAll();
    const steppedUp = await authorizeIn(fresh.page, app, { acr_values: ACR_MULTI_FACTOR });
    await fresh.page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(await fresh.page.getByLabel('Password').count()).toBe(0);
    const newSecret = String(await fresh.page.locator('code.secret').textContent());
    await fresh.page.getByLabel('Code from your authenticator app').fill(codeAt(newSecret));
    await fresh.page.getByRole('button', { name: 'Verify' }).click();
    await expect(fresh.page.locator('.recovery-codes code').count()).resolves.toBe(10);
    await fresh.page.getByRole('link', { name: 'Continue' }).click();
    expect(await claimsOf(steppedUp.tokens)).toMatchObject({ sub: userId, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });

    // And again in the session that is multi-factor now: asked for nothing, still multi-factor.
    await fresh.page.unrouteAll();
    const silent = await authorizeIn(fresh.page, app, { acr_values: ACR_MULTI_FACTOR });
    expect(await claimsOf(silent.tokens)).toMatchObject({ sub: userId, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });

    for (const { errors } of [office, borrowed, fresh]) expect(errors).toEqual([]);
    await Promise.all(contexts.map((context) => context.close()));
  });
});
