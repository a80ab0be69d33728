import path from 'node:path';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const ROLES_CLAIM = 'https://tessera.example/roles';

describe('the example rules of examples/rules', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { RULES_DIR: path.resolve(import.meta.dirname, '../../examples/rules') } });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('puts app_metadata.roles in the ID token and the management API access token', async () => {
    const user = await createUser(tessera, { email_verified: true, app_metadata: { roles: ['editor', 'billing'] } });
    const { tokens } = await login(config, {
      scope: 'openid',
      username: user.email,
      password: user.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    expect(tokens.claims()).toHaveProperty([ROLES_CLAIM], ['editor', 'billing']);
    expect(decodeJwt(tokens.access_token)).toHaveProperty([ROLES_CLAIM], ['editor', 'billing']);
  });

  it('gives a user without roles an empty list', async () => {
    const user = await createUser(tessera, { email_verified: true });
    const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    expect(tokens.claims()).toHaveProperty([ROLES_CLAIM], []);
  });

  it('refuses a user whose email is not verified and counts the attempts in app_metadata', async () => {
    const user = await createUser(tessera, { email_verified: false });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { page, browser } = await openLoginPage(config, 'openid');
      if (!isPage(page)) throw new Error('expected the login page');
      const after = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
      if (!isPage(after)) throw new Error(`the login reached the relying party: ${after.redirect}`);
      expect(after.status).toBe(403);
      expect(after.document.querySelector('[role=alert]')?.text).toBe('Please verify your email address before logging in.');
    }
    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.get.query({ id: user.profile.user_id })).app_metadata).toEqual({ unverified_login_attempts: 2 });
  });
});
