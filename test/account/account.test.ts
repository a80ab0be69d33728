/**
 * The account page in Debian's Chromium, signed in through Tessera's own login page: what a
 * person does to their own account there shows through the management API, the protocol and the
 * mail Tessera really sends; the page fits a phone and its profile form works from the keyboard.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { linkIn, nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../support/smtp-capture.js';
import { startTestTessera } from '../support/tessera.js';

describe('account page in a browser', () => {
  let smtp: TestSmtp;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let chromium: Browser;

  /** A fresh browser context for `path` (of another Tessera when given its issuer), before signing in. */
  async function open(path = '/account/', issuer = tessera.issuer) {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    return { page, errors, visit: () => page.goto(`${issuer}${path}`) };
  }

  /** Fills the login form; with several credential connections, the one of `connection`. */
  async function signIn(page: Page, person: { email: string; password: string }, connection?: string) {
    const form = connection
      ? page.locator('form', { has: page.getByRole('heading', { name: connection, exact: true }) })
      : page.locator('form').first();
    await form.getByLabel('Email or username').fill(person.email);
    await form.getByLabel('Password').fill(person.password);
    await form.getByRole('button', { name: 'Continue' }).click();
  }

  /** Opens `path` in a fresh context, signs in on the login page, and waits for the account page. */
  async function signedIn(person: { email: string; password: string }, path = '/account/', connection?: string) {
    const { page, errors, visit } = await open(path);
    await visit();
    await signIn(page, person, connection);
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    return { page, errors };
  }

  beforeAll(async () => {
    smtp = await startSmtp();
    tessera = await startTestTessera({
      env: {
        SMTP_URL: smtpUrl(smtp.port),
        ACCOUNT_METADATA_FIELDS: 'favourite_colour:string,newsletter:boolean,shoe_size:number',
        ACCOUNT_DELETION: 'true',
      },
    });
    admin = await adminClient(tessera.issuer);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
    await smtp?.close();
  });

  it('signs in through the login page and saves the name and allowed metadata, which users.get returns', async () => {
    const person = await createUser(tessera, { name: 'Before Edit', user_metadata: { plan: 'free' } });
    const { page, errors } = await signedIn(person);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Before Edit');
    await page.getByLabel('Name', { exact: true }).fill('After Edit');
    await page.getByLabel('favourite_colour').fill('teal');
    await page.getByLabel('shoe_size').fill('42');
    await page.getByLabel('newsletter').check();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    const stored = await admin.users.get.query({ id: person.profile.user_id });
    expect(stored.name).toBe('After Edit');
    // Keys outside the allowed list are the operator's business: left as they were.
    expect(stored.user_metadata).toEqual({ plan: 'free', favourite_colour: 'teal', shoe_size: 42, newsletter: true });
    expect(errors).toEqual([]);
  });

  it('refuses a password change with a wrong current password, then changes it, and the new one logs in', async () => {
    const person = await createUser(tessera);
    const { page } = await signedIn(person);
    await expect(page.locator('#password-policy').textContent()).resolves.toMatch(/^At least \d+ characters\.$/);
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByLabel('Repeat it').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#password').getByRole('alert').waitFor();

    await page.getByLabel('Current password').fill(person.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    const client = await createClient(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid', username: person.email, password: 'a brand new passphrase' });
    expect(tokens.claims()?.sub).toBe(person.profile.user_id);
  });

  it('sends a change of email to the new address, keeps the old one until its link is followed, then shows the new one verified', async () => {
    const person = await createUser(tessera, { email_verified: true });
    const { page } = await signedIn(person);
    await expect(page.locator('#email').textContent()).resolves.toContain('(verified)');
    const newEmail = `moved-${randomBytes(4).toString('hex')}@example.com`;
    await page.getByLabel('New email address').fill(newEmail);
    await page.getByRole('button', { name: 'Change email' }).click();
    const status = page.locator('#email').getByRole('status');
    await status.waitFor();
    expect(await status.textContent()).toContain(`We sent a link to ${newEmail}`);

    const message = await nextMessage(smtp, newEmail);
    const link = linkIn(message);
    expect(link).toContain('/tickets/verify-email?ticket=');
    const unchanged = await admin.users.get.query({ id: person.profile.user_id });
    expect(unchanged.email).toBe(person.email);
    expect(unchanged.email_verified).toBe(true);

    // The link's page changes it and sends the person back to the account page, still signed in.
    await page.goto(link);
    await page.waitForURL((url) => url.pathname === '/account/');
    await page.getByTestId('current-email').getByText(newEmail).waitFor();
    await expect(page.locator('#email').textContent()).resolves.toContain('(verified)');
    expect(await admin.users.get.query({ id: person.profile.user_id })).toMatchObject({ email: newEmail, email_verified: true });
  });

  it('ends another session of the person and revokes an application they granted', async () => {
    const person = await createUser(tessera);
    const sessionApp = await createClient(tessera, { client_name: 'Session App' });
    const grantedApp = await createClient(tessera, { client_name: 'Granted App' });
    await login(await discover(tessera.issuer, sessionApp.client_id, sessionApp.client_secret), {
      scope: 'openid',
      username: person.email,
      password: person.password,
    });
    const grantedConfig = await discover(tessera.issuer, grantedApp.client_id, grantedApp.client_secret);
    const { tokens } = await login(grantedConfig, {
      scope: 'openid offline_access',
      username: person.email,
      password: person.password,
    });
    expect(tokens.refresh_token).toBeDefined();

    const { page } = await signedIn(person);
    const sessionRow = page.locator('table.sessions tbody tr', { hasText: 'Session App' });
    await sessionRow.getByRole('button', { name: 'End session' }).click();
    await sessionRow.waitFor({ state: 'detached' });
    // The list comes from the server again after a reload: that session is gone, this one is not.
    await page.reload();
    await page.locator('table.sessions tbody tr', { hasText: 'Tessera' }).first().waitFor();
    expect(await page.locator('table.sessions tbody tr', { hasText: 'Session App' }).count()).toBe(0);

    const applicationRow = page.locator('table.applications tbody tr', { hasText: 'Granted App' });
    await applicationRow.getByRole('button', { name: 'Revoke' }).click();
    await applicationRow.waitFor({ state: 'detached' });
    await expect(oidc.refreshTokenGrant(grantedConfig, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('deletes the account once the person types their email', async () => {
    const person = await createUser(tessera);
    const { page } = await signedIn(person);
    const button = page.getByRole('button', { name: 'Delete my account' });
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(/to confirm$/).fill(person.email);
    await button.click();
    await page.getByText('Your account was deleted.').waitFor();
    await expect(admin.users.get.query({ id: person.profile.user_id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('offers the way back to an application for its registered redirect URI, and nothing for another URL', async () => {
    const back = `https://return-${randomBytes(4).toString('hex')}.example.com/callback`;
    await createClient(tessera, { client_name: 'Return App', redirect_uris: [back] });
    const person = await createUser(tessera);
    const { page } = await signedIn(person, `/account/?return_to=${encodeURIComponent(back)}`);
    const link = page.getByRole('link', { name: 'Back to Return App' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(back);

    const other = await open(`/account/?return_to=${encodeURIComponent('https://elsewhere.example.com/callback')}`);
    const answered = other.page.waitForResponse((response) => response.url().includes('me.returnTo'));
    await other.visit();
    await signIn(other.page, person);
    await answered;
    await other.page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await other.page.getByRole('link', { name: /^Back to/ }).count()).toBe(0);
    expect(await other.page.getByRole('alert').count()).toBe(0);
  });

  it('shows neither metadata fields nor deletion when the operator allows none', async () => {
    const plain = await startTestTessera();
    try {
      const person = await createUser(plain, { user_metadata: { plan: 'free' } });
      const { page, errors, visit } = await open('/account/', plain.issuer);
      await visit();
      await signIn(page, person);
      await page.getByRole('heading', { name: 'Profile' }).waitFor();
      await page.getByRole('heading', { name: 'Sessions' }).waitFor();
      expect(await page.locator('#profile input').count()).toBe(6);
      expect(await page.getByRole('heading', { name: 'Delete your account' }).count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await plain.stop();
    }
  });

  it('fits a 390 px wide phone without sideways scrolling', async () => {
    const person = await createUser(tessera);
    const { page } = await signedIn(person);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('table.sessions tbody tr').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it('fills and submits the profile form with the keyboard alone', async () => {
    const person = await createUser(tessera);
    const { page } = await signedIn(person);
    await page.getByLabel('Name', { exact: true }).focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Keyboard Person');
    await page.keyboard.press('Tab');
    // The focused field shows it: the stylesheet's :focus-visible outline.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement ?? document.body).outlineStyle)).toBe('solid');
    await page.keyboard.type('Keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Person');
    await page.keyboard.press('Enter');
    await page.getByText('Profile saved.').waitFor();
    const stored = await admin.users.get.query({ id: person.profile.user_id });
    expect(stored).toMatchObject({ name: 'Keyboard Person', given_name: 'Keyboard', family_name: 'Person' });
  });

  it('links a second database user through a second sign-in, keeping the first signed in, and shows both identities', async () => {
    // me.settings offers the connections the person has no identity in: a second database connection.
    // Created last in this file, so the sign-ins of the tests above meet a login page with one connection only.
    await admin.connections.create.mutate({ name: 'Back-Office', strategy: 'database' });
    const primary = await createUser(tessera);
    const secondary = await createUser(tessera, { connection: 'Back-Office' });
    const { page, errors } = await signedIn(primary, '/account/', DEFAULT_DATABASE_CONNECTION);
    await page.getByRole('button', { name: 'Link an account from Back-Office' }).click();
    // prompt=login: the login page asks again even though this browser has a session, with the form of Back-Office only.
    await signIn(page, secondary);
    await page.getByText('The other account is now linked to this one.').waitFor();
    await page.getByRole('button', { name: `Unlink ${secondary.profile.user_id}` }).waitFor();
    expect(await page.locator('table.identities tbody tr').count()).toBe(2);
    expect(new URL(page.url()).pathname).toBe('/account/');
    // The primary's token crossed the trip in sessionStorage and was removed at the callback.
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.getByText(`Signed in as ${primary.email}`).count()).toBe(1);

    const linked = await admin.users.get.query({ id: primary.profile.user_id });
    expect(linked.identities?.map((identity) => `${identity.provider}|${identity.user_id}`)).toEqual([
      primary.profile.user_id,
      secondary.profile.user_id,
    ]);
    expect(errors).toEqual([]);
  });

  it('keeps the person signed in as themselves when they cancel the second sign-in, and says nothing was linked', async () => {
    const person = await createUser(tessera);
    const { page, errors } = await signedIn(person, '/account/', DEFAULT_DATABASE_CONNECTION);
    await page.getByRole('button', { name: 'Link an account from Back-Office' }).click();
    await page.getByRole('link', { name: 'Cancel' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The other account was not linked: /);
    expect(await page.getByText(`Signed in as ${person.email}`).count()).toBe(1);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // The carried token still works: the page keeps answering as this person.
    await page.locator('table.sessions tbody tr').first().waitFor();
    expect((await admin.users.get.query({ id: person.profile.user_id })).identities).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
