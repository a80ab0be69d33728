/**
 * Passkeys from the account page to an application, in Debian's Chromium with a virtual
 * authenticator (Chrome DevTools Protocol): a person signed in with their password adds a named
 * passkey, keeps the recovery codes shown once with it (their first factor), signs in to an application with it alone (amr and acr in the ID token), removes it on
 * the account page, and is refused with it afterwards. The issuer is on localhost: WebAuthn takes
 * no IP address as relying party id, so under an issuer that is one the page offers no passkey.
 */
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';
import { addVirtualAuthenticator, authorizeIn } from '../support/virtual-authenticator.js';

describe('passkeys on the account page', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let issuer: string;
  let chromium: Browser;
  let config: oidc.Configuration;

  /** A fresh browser context with an empty virtual authenticator, signed in to the account page with a password. */
  async function signedIn(person: { email: string; password: string }) {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    const authenticator = await addVirtualAuthenticator(context, page);
    await page.goto(`${issuer}/account/`);
    await signInWithPassword(page, person);
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    return { context, page, errors, authenticator };
  }

  async function signInWithPassword(page: Page, person: { email: string; password: string }) {
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  const passkeysPart = (page: Page) => page.locator('#passkeys');

  beforeAll(async () => {
    const port = await freePort();
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

  it('adds a named passkey, signs in to an application with it alone, removes it, and is refused with it then', async () => {
    const person = await createUser(tessera);
    const userId = person.profile.user_id;
    const { context, page, errors, authenticator } = await signedIn(person);
    await passkeysPart(page).getByText('No passkeys yet.').waitFor();

    await page.getByLabel('Passkey name').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await passkeysPart(page).getByText('Passkey “Work laptop” added.').waitFor();
    // The list is read again after the notice: waited for, not looked at once.
    await passkeysPart(page).getByRole('cell', { name: 'Work laptop', exact: true }).waitFor();
    const [held] = await authenticator.credentials();
    expect(held).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    const listed = await tessera.services.management.authenticators.list(userId);
    expect(listed).toMatchObject([
      { type: 'webauthn', name: 'Work laptop', last_used_at: null },
      { type: 'recovery-code', remaining: 10 },
    ]);

    // The first factor's recovery codes, shown once, as the two-step part shows an app's.
    const shown = passkeysPart(page).locator('.recovery-codes code');
    const codes = await shown.allTextContents();
    expect(codes).toHaveLength(10);
    expect(await tessera.services.recoveryCodes.verify(userId, String(codes[0]))).toBe(true);
    await passkeysPart(page).getByRole('button', { name: 'I have saved them' }).click();
    await shown.first().waitFor({ state: 'detached' });

    // Another sign-in in the same browser, the session forgotten: the login page, and the passkey alone.
    await context.clearCookies();
    const { tokens } = await authorizeIn(page, config);
    const claims = (await tokens()).claims();
    expect(claims?.sub).toBe(userId);
    expect(claims?.['amr']).toEqual(['hwk', 'mfa']);
    expect(claims?.['acr']).toBe(ACR_MULTI_FACTOR);

    // The account page signs in with the passkey as well (its autofill answers at once), and shows it used.
    await context.clearCookies();
    await page.goto(`${issuer}/account/`);
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    await expect(
      passkeysPart(page)
        .getByRole('row', { name: /Work laptop/ })
        .getByRole('cell')
        .nth(2)
        .textContent(),
    ).resolves.not.toBe('Never');
    await passkeysPart(page).getByRole('button', { name: 'Remove Work laptop' }).click();
    await passkeysPart(page).getByText('No passkeys yet.').waitFor();
    expect((await tessera.services.management.authenticators.list(userId)).map((factor) => factor.type)).toEqual(['recovery-code']);

    expect(errors).toEqual([]);

    // The refusal answers 401, which Chromium reports as a console error.
    await context.clearCookies();
    await authorizeIn(page, config);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('This passkey was not accepted.');
    await context.close();
  });

  it('says no passkey was added when the person does not pass the authenticator’s check', async () => {
    const person = await createUser(tessera);
    const { context, page, authenticator } = await signedIn(person);
    await authenticator.userVerifies(false);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await passkeysPart(page).getByRole('alert').waitFor();
    expect(await passkeysPart(page).getByRole('alert').textContent()).toMatch(/^No passkey was added/);
    expect(await tessera.services.management.authenticators.list(person.profile.user_id)).toEqual([]);
    await context.close();
  });
});

describe('passkeys on the account page under an issuer that is an IP address', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let chromium: Browser;

  beforeAll(async () => {
    tessera = await startTestTessera();
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  it('does not offer to add a passkey, saying why, though the browser supports WebAuthn', async () => {
    expect(new URL(tessera.issuer).hostname).toBe('127.0.0.1');
    const person = await createUser(tessera);
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}/account/`);
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    const part = page.locator('#passkeys');
    await part.getByText('Passkeys cannot be added here').waitFor();
    await part.getByText('No passkeys yet.').waitFor();
    expect(await part.getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
    expect(await page.evaluate(() => 'PublicKeyCredential' in globalThis)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
