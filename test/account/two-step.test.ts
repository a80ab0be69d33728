/**
 * The account page's two-step verification in Chromium, codes computed with otpauth from the key
 * the page shows: a person adds an authenticator app, keeps the recovery codes shown once (copied
 * to the clipboard), signs in again with password + code, loses the phone and gets in with a
 * recovery code, makes new codes, and removes the app.
 */
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

describe("the account page's two-step verification", () => {
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

  /** A fresh context on the account page, past the password (and the second step when `second` fills it). */
  async function signIn(person: { email: string; password: string }, second?: (page: Page) => Promise<void>) {
    const context = await chromium.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}/account/`);
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    if (second) await second(page);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    return { context, page, errors };
  }

  it('adds an authenticator app, shows and copies the recovery codes once, then asks for a code or a recovery code at sign-in', async () => {
    const person = await createUser(tessera);
    const first = await signIn(person);
    const part = first.page.getByRole('region', { name: 'Two-step verification' });
    await part.getByText('No second step yet').waitFor();
    await part.getByRole('button', { name: 'Add an authenticator app' }).click();
    const secret = String(await part.getByTestId('totp-secret').textContent());
    expect(await part.getByRole('img', { name: "QR code of your authenticator app's key" }).isVisible()).toBe(true);
    await part.getByLabel('Code from the app').fill(codeAt(secret));
    await part.getByRole('button', { name: 'Confirm' }).click();

    const shown = part.locator('.recovery-codes code');
    await shown.first().waitFor();
    const codes = await shown.allTextContents();
    expect(codes).toHaveLength(10);
    await part.getByRole('button', { name: 'Copy the codes' }).click();
    await part.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await first.page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join('\n'));
    await part.getByRole('button', { name: 'I have saved them' }).click();
    expect(await part.locator('.recovery-codes').count()).toBe(0);
    expect(await part.locator('li[data-type=totp] .factor-name').textContent()).toBe('Authenticator app');
    expect(await part.locator('li[data-type=recovery-code] .factor-name').textContent()).toBe('Recovery codes, 10 left');
    expect(first.errors).toEqual([]);
    await first.context.close();

    const withCode = await signIn(person, async (page) => {
      await page.getByLabel('Code from your authenticator app').fill(codeAt(secret, 30));
      await page.getByRole('button', { name: 'Verify' }).click();
    });
    await withCode.context.close();

    const withRecovery = await signIn(person, async (page) => {
      await page.getByRole('link', { name: 'Use a recovery code' }).click();
      await page.getByLabel('One of your recovery codes').fill(String(codes[0]));
      await page.getByRole('button', { name: 'Verify' }).click();
    });
    const part2 = withRecovery.page.getByRole('region', { name: 'Two-step verification' });
    await part2.locator('li[data-type=recovery-code] .factor-name').filter({ hasText: 'Recovery codes, 9 left' }).waitFor();
    expect(withRecovery.errors).toEqual([]);
    await withRecovery.context.close();
  });

  it('makes new recovery codes and removes the app, which the management API no longer lists', async () => {
    const person = await createUser(tessera);
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(person.profile);
    const { recovery_codes: old } = await tessera.services.mfaEnrolment.confirmTotp(
      person.profile.user_id,
      enrolment.authenticator_id,
      codeAt(enrolment.secret),
    );
    const { page, errors, context } = await signIn(person, async (step) => {
      await step.getByLabel('Code from your authenticator app').fill(codeAt(enrolment.secret, 30));
      await step.getByRole('button', { name: 'Verify' }).click();
    });
    const part = page.getByRole('region', { name: 'Two-step verification' });
    await part.getByRole('button', { name: 'Make new recovery codes' }).click();
    const shown = part.locator('.recovery-codes code');
    await shown.first().waitFor();
    const fresh = await shown.allTextContents();
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(old?.[0]);

    await part.getByRole('button', { name: 'Remove Authenticator app' }).click();
    await part.locator('li[data-type=totp]').waitFor({ state: 'detached' });
    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.authenticators.list.query({ id: person.profile.user_id })).map((factor) => factor.type)).toEqual([
      'recovery-code',
    ]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
