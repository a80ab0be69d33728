/**
 * The console's user page lists the user's second factors (kind, name, added, last used), removes
 * one, and resets them all after a confirmation, as an operator does for a person who lost
 * their phone. The application page sets the application's own mfa_policy.
 */
import { Secret, TOTP } from 'otpauth';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe("the console's multi-factor panel", () => {
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

  it("lists a user's factors, removes one, and resets the rest once confirmed", async () => {
    const admin = await adminClient(tessera.issuer);
    const operator = await createUser(tessera);
    await admin.users.update.mutate({ id: operator.profile.user_id, management_scopes: [...MANAGEMENT_SCOPES] });
    const person = await createUser(tessera, { name: 'Enrolled Person' });
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(person.profile, 'Work phone');
    const code = new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate();
    await tessera.services.mfaEnrolment.confirmTotp(person.profile.user_id, enrolment.authenticator_id, code);

    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}/admin/users/${encodeURIComponent(person.profile.user_id)}`);
    await page.getByLabel('Email or username').fill(operator.email);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Enrolled Person' }).waitFor();

    const panel = page.getByRole('region', { name: 'Multi-factor authentication' });
    const app = panel.locator('tr[data-type="totp"]');
    await app.waitFor();
    expect(await app.locator('td').allTextContents()).toEqual([
      'Authenticator app',
      'Work phone',
      expect.any(String),
      expect.any(String),
      'Remove',
    ]);
    expect(await app.locator('td').nth(3).textContent()).not.toBe('—');
    const codes = panel.locator('tr[data-type="recovery-code"]');
    expect(await codes.locator('td').nth(1).textContent()).toBe('Recovery codes, 10 left');

    await panel.getByRole('button', { name: 'Remove Recovery codes, 10 left' }).click();
    await codes.waitFor({ state: 'detached' });
    expect((await admin.users.authenticators.list.query({ id: person.profile.user_id })).map((factor) => factor.type)).toEqual(['totp']);

    await panel.getByRole('button', { name: 'Reset all factors…' }).click();
    await panel.getByRole('button', { name: 'Yes, reset all factors' }).click();
    await panel.getByText('No second factor enrolled.').waitFor();
    expect(await admin.users.authenticators.list.query({ id: person.profile.user_id })).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("sets an application's second-factor policy from its page, and back to the server's", async () => {
    const admin = await adminClient(tessera.issuer);
    const operator = await createUser(tessera);
    await admin.users.update.mutate({ id: operator.profile.user_id, management_scopes: [...MANAGEMENT_SCOPES] });
    const app = await admin.clients.create.mutate({ name: 'Policy App', redirect_uris: ['https://app.example/callback'] });

    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}/admin/applications/${encodeURIComponent(app.client_id)}`);
    await page.getByLabel('Email or username').fill(operator.email);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Policy App' }).waitFor();

    const policy = page.getByLabel('Second factor at login');
    expect(await policy.inputValue()).toBe('');
    await policy.selectOption('always');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await admin.clients.get.query({ client_id: app.client_id })).toMatchObject({ mfa_policy: 'always' });

    await page.getByLabel('Second factor at login').selectOption('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await admin.clients.get.query({ client_id: app.client_id })).mfa_policy).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });
});
