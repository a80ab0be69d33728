/**
 * The admin console in Debian's Chromium, signed in through Tessera's own login page: what an
 * operator does in it shows through the management API and the protocol, and an operator sees
 * only the controls their scopes allow.
 */
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { MANAGEMENT_SCOPES, type ManagementScope } from '../../server/oidc/management-api.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { PEOPLE_DN, READER, startSlapd } from '../support/slapd.js';
import { startTestTessera } from '../support/tessera.js';

describe('admin console in a browser', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let chromium: Browser;

  async function operator(scopes: readonly ManagementScope[]) {
    const person = await createUser(tessera);
    await admin.users.update.mutate({ id: person.profile.user_id, management_scopes: [...scopes] });
    return person;
  }

  /** Opens `path` in a fresh browser context, signs in on the login page, and waits for the console. */
  async function signedIn(person: { email: string; password: string }, path = '/admin/') {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}${path}`);
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/admin') && !url.pathname.startsWith('/admin/callback'));
    await page.getByRole('navigation', { name: 'Pages', exact: true }).waitFor();
    return { page, errors };
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  // First, while no user holds a management scope: the start-up offered a setup link.
  it('creates the first administrator from the setup link, who then signs in to the console with every scope', async () => {
    const link = tessera.setupLink ?? '';
    expect(link).toMatch(/\/admin\/setup\?token=/);
    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(link);
    await page.getByLabel('Email').fill('first-admin@example.com');
    await page.getByLabel('Password', { exact: true }).fill('a first admin passphrase');
    await page.getByLabel('Password again').fill('a first admin passphrase');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { name: 'Administrator created' }).waitFor();
    await page.getByRole('link', { name: 'Open the console' }).click();
    await page.getByLabel('Email or username').fill('first-admin@example.com');
    await page.getByLabel('Password').fill('a first admin passphrase');
    await page.getByRole('button', { name: 'Continue' }).click();
    const nav = page.getByRole('navigation', { name: 'Pages', exact: true });
    await nav.waitFor();
    for (const name of ['Users', 'Applications', 'Connections', 'Signing keys', 'Live events', 'API explorer']) {
      expect(await nav.getByRole('link', { name }).count()).toBe(1);
    }
    expect(await nav.getByRole('link', { name: 'API explorer' }).getAttribute('href')).toBe(`${tessera.issuer}/api/v2/docs`);
    expect(errors).toEqual([]);

    // An administrator exists now: the link, and any other, is refused.
    const again = await context.newPage();
    const response = await again.goto(link);
    expect(response?.status()).toBe(409);
    await context.close();
  });

  it('signs in through the login page and comes back to the page asked for, with no error in the page', async () => {
    const { page, errors } = await signedIn(await operator(MANAGEMENT_SCOPES), '/admin/keys');
    expect(new URL(page.url()).pathname).toBe('/admin/keys');
    await expect(page.getByRole('heading', { name: 'Signing keys' }).isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  it('sends an operator whose session ended back through the login page, then to the page they were going to', async () => {
    const person = await operator(['read:users', 'read:signing_keys']);
    const { page } = await signedIn(person, '/admin/keys');
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    // Blocking ends every session and token of the operator at once.
    await admin.users.update.mutate({ id: person.profile.user_id, blocked: true });
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Email or username').waitFor();
    await admin.users.update.mutate({ id: person.profile.user_id, blocked: false });
    await page.getByLabel('Email or username').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/users');
  });

  it('finds a user by a q query, and shows a parse error with its line and column under the box', async () => {
    const found = await createUser(tessera, { name: 'Findable Person' });
    const { page } = await signedIn(await operator(['read:users']));
    await page.getByLabel('Search').fill(`email:"${found.email}"`);
    await page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered first page lists the operator too: wait for the search's answer.
    await expect.poll(() => page.locator('table.users tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Findable Person' }).waitFor();

    await page.getByLabel('Search').fill('email:(');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/line 1, column \d+/);
    expect(await page.getByLabel('Search').getAttribute('aria-invalid')).toBe('true');
  });

  it('edits user_metadata after reviewing the change, and users.get returns it', async () => {
    const person = await createUser(tessera, { user_metadata: { plan: 'free', theme: 'dark' } });
    const { page } = await signedIn(
      await operator(['read:users', 'update:users']),
      `/admin/users/${encodeURIComponent(person.profile.user_id)}`,
    );
    const editor = page.getByLabel('user_metadata as JSON');
    await editor.waitFor();
    await editor.fill('{"plan": ');
    expect(await page.getByRole('button', { name: 'Review changes' }).first().isDisabled()).toBe(true);
    await editor.fill(JSON.stringify({ plan: 'pro', seats: 5 }));
    await page.getByRole('button', { name: 'Review changes' }).first().click();
    const review = page.locator('.review');
    expect(await review.textContent()).toContain('set plan to "pro"');
    expect(await review.textContent()).toContain('add seats to 5');
    expect(await review.textContent()).toContain('remove theme');
    await page.getByRole('button', { name: 'Save user_metadata' }).click();
    await review.waitFor({ state: 'detached' });
    expect((await admin.users.get.query({ id: person.profile.user_id })).user_metadata).toEqual({ plan: 'pro', seats: 5 });
  });

  it('shows a change made elsewhere on the user’s open page without a reload, and fills the live events table', async () => {
    const person = await createUser(tessera, { name: 'Before Rename' });
    const { page } = await signedIn(await operator(['read:users']), `/admin/users/${encodeURIComponent(person.profile.user_id)}`);
    await page.getByRole('heading', { name: 'Before Rename' }).waitFor();
    const events = await page.context().newPage();
    await events.goto(`${tessera.issuer}/admin/events`);
    await events.getByRole('heading', { name: 'Live events' }).waitFor();

    await admin.users.update.mutate({ id: person.profile.user_id, name: 'After Rename' });
    await page.getByRole('heading', { name: 'After Rename' }).waitFor();
    await events.getByRole('row', { name: new RegExp(`user\\.updated.*${person.profile.user_id.replace('|', '\\|')}`) }).waitFor();
  });

  it('links another user found by email, unlinks it again, and sets a password under the policy', async () => {
    const primary = await createUser(tessera);
    const secondary = await createUser(tessera);
    const { page } = await signedIn(
      await operator(['read:users', 'update:users']),
      `/admin/users/${encodeURIComponent(primary.profile.user_id)}`,
    );
    await page.getByLabel('Link another user (user id or email) under this one').fill(secondary.email);
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    const unlink = page.getByRole('button', { name: `Unlink ${secondary.profile.user_id}` });
    await unlink.waitFor();
    expect((await admin.users.get.query({ id: primary.profile.user_id })).identities).toHaveLength(2);
    await unlink.click();
    await unlink.waitFor({ state: 'detached' });
    expect((await admin.users.get.query({ id: secondary.profile.user_id })).user_id).toBe(secondary.profile.user_id);

    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Repeat it').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/^password: /);
    await page.getByLabel('New password').fill('a much longer passphrase');
    await page.getByLabel('Repeat it').fill('a much longer passphrase');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password set.').waitFor();
    const client = await createClient(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid', username: primary.email, password: 'a much longer passphrase' });
    expect(tokens.claims()?.sub).toBe(primary.profile.user_id);
  });

  it('blocks a user, whose refresh token is then refused', async () => {
    const client = await createClient(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const person = await createUser(tessera);
    const { tokens } = await login(config, { scope: 'openid offline_access', username: person.email, password: person.password });
    expect(tokens.refresh_token).toBeDefined();

    const { page } = await signedIn(
      await operator(['read:users', 'update:users']),
      `/admin/users/${encodeURIComponent(person.profile.user_id)}`,
    );
    await page.getByRole('button', { name: 'Block user' }).click();
    await page.getByRole('button', { name: 'Unblock user' }).waitFor();
    expect((await admin.users.get.query({ id: person.profile.user_id })).blocked).toBe(true);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('offers the create form only once the connections have loaded, so a quick operator’s application keeps its default connections', async () => {
    const { page } = await signedIn(await operator(MANAGEMENT_SCOPES));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(
      (url) => url.pathname.includes('connections.list'),
      async (route) => {
        await released;
        await route.continue();
      },
    );
    await page.goto(`${tessera.issuer}/admin/applications`);
    await page.getByText('Create an application').click();
    await page.getByLabel('Regular web application').check();
    await page.getByText('Loading connections…').waitFor();
    expect(await page.getByRole('button', { name: 'Create application' }).count()).toBe(0);
    release();
    await page.getByLabel('Name', { exact: true }).fill('Quickly made App');
    await page.getByLabel('Redirect URIs (one per line)').fill(REDIRECT_URI);
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByTestId('client-secret').waitFor();
    const created = (await admin.clients.list.query({ per_page: 100 })).clients.find((client) => client.name === 'Quickly made App');
    expect(created?.connections).toContain(DEFAULT_DATABASE_CONNECTION);
  });

  it('creates a regular web application whose secret, shown once, logs a relying party in', async () => {
    const { page } = await signedIn(await operator(MANAGEMENT_SCOPES), '/admin/applications');
    await page.getByText('Create an application').click();
    await page.getByLabel('Regular web application').check();
    await page.getByLabel('Name', { exact: true }).fill('Console-made App');
    await page.getByLabel('Redirect URIs (one per line)').fill(REDIRECT_URI);
    await page.getByRole('button', { name: 'Create application' }).click();
    const secret = (await page.getByTestId('client-secret').textContent()) ?? '';
    const clientId =
      (await page
        .getByRole('row', { name: /Console-made App/ })
        .locator('code')
        .textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(20);

    // The SAML add-on: refused with the field at fault, then saved.
    await page.getByRole('link', { name: 'Console-made App' }).click();
    await page.getByLabel('SAML add-on as JSON').fill(JSON.stringify({ audience: 'urn:example:sp', acs_url: 'not a url' }));
    await page.getByRole('button', { name: 'Save SAML add-on' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/^saml_addon\.acs_url: /);
    await page
      .getByLabel('SAML add-on as JSON')
      .fill(JSON.stringify({ audience: 'urn:example:sp', acs_url: 'https://sp.example.com/acs' }));
    await page.getByRole('button', { name: 'Save SAML add-on' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await admin.clients.get.query({ client_id: clientId })).saml_addon).toMatchObject({ audience: 'urn:example:sp' });

    const person = await createUser(tessera);
    const config = await discover(tessera.issuer, clientId, secret);
    const { tokens } = await login(config, { scope: 'openid email', username: person.email, password: person.password });
    expect(tokens.claims()?.sub).toBe(person.profile.user_id);
  });

  it('creates an ldap connection from its schema’s form, keeps its secret write-only, and tries it against the directory', async () => {
    const slapd = await startSlapd();
    try {
      const { page } = await signedIn(await operator(MANAGEMENT_SCOPES), '/admin/connections');
      await page.getByText('Create a connection').click();
      await page.getByLabel('Name', { exact: true }).fill('Console-Ldap');
      await page.getByLabel('Strategy').selectOption('ldap');
      await page.getByLabel('url (required)').fill(slapd.url);
      await page.getByLabel('search_base (required)').fill(PEOPLE_DN);
      await page.getByLabel('bind_dn').fill(READER.dn);
      await page.getByLabel('bind_password (write-only)').fill(READER.password);
      await page.getByRole('button', { name: 'Create connection' }).click();
      await page.getByRole('heading', { name: 'Console-Ldap' }).waitFor();

      const [stored] = (await admin.connections.list.query({ strategy: 'ldap' })).connections.filter(
        (connection) => connection.name === 'Console-Ldap',
      );
      expect(stored?.options).toMatchObject({ url: slapd.url, search_base: PEOPLE_DN, bind_dn: READER.dn });
      expect(stored?.options).not.toHaveProperty('bind_password');
      expect(await page.getByLabel('bind_password (write-only)').inputValue()).toBe('');

      // Saved again with the secret left empty: the stored one is kept, and the directory still takes it.
      await page.getByLabel('timeout_ms').fill('4000');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved.').waitFor();
      await page.getByRole('button', { name: 'Try the connection' }).click();
      expect(await page.getByTestId('connection-check').textContent()).toBe(
        `Works: Bound to ${slapd.url} as ${READER.dn} and read ${PEOPLE_DN}.`,
      );
    } finally {
      await slapd.stop();
    }
  });

  it('rotates the signing keys: a new key signs, the old one stays published', async () => {
    const before = await admin.keys.list.query();
    const { page } = await signedIn(await operator(MANAGEMENT_SCOPES), '/admin/keys');
    await page.getByRole('button', { name: 'Rotate keys' }).click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.locator('table.keys tbody tr').nth(before.length).waitFor();
    const after = await admin.keys.list.query();
    const newKid = after.find((key) => key.current && !before.some((old) => old.kid === key.kid))?.kid ?? '';
    expect(newKid).not.toBe('');
    await page.getByRole('cell', { name: newKid }).waitFor();
    for (const old of before) expect(after.map((key) => key.kid)).toContain(old.kid);
  });

  it('fits a 390 px wide phone: nothing but the tables scrolls sideways, and the search is reached by keyboard', async () => {
    const { page } = await signedIn(await operator(['read:users']), '/admin/users');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByLabel('Search').focus();
    await page.keyboard.type('name:nobody*');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('table.users tbody tr').count()).toBe(0);
  });

  it('shows a read-only operator no control that changes anything', async () => {
    const person = await createUser(tessera, { user_metadata: { plan: 'free' } });
    const { page } = await signedIn(await operator(['read:users']), `/admin/users/${encodeURIComponent(person.profile.user_id)}`);
    const editor = page.getByLabel('user_metadata as JSON');
    await editor.waitFor();
    expect(await editor.getAttribute('readonly')).not.toBeNull();
    for (const name of ['Review changes', 'Block user', 'Delete user']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    expect(await page.getByRole('link', { name: 'Applications' }).count()).toBe(0);
  });
});
