import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const SELF_SERVICE = 'read:current_user update:current_user_metadata';

const scopesOf = (accessToken: string) =>
  String(decodeJwt(accessToken)['scope'] ?? '')
    .split(' ')
    .filter(Boolean)
    .sort();

describe("me.* with a user's own access token", () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let config: oidc.Configuration;

  async function userToken(scope = `openid ${SELF_SERVICE}`) {
    const { tokens } = await login(config, {
      scope,
      username: user.email,
      password: user.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    return tokens;
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    const client = await createClient(tessera);
    user = await createUser(tessera, { name: 'Me Myself', user_metadata: { lang: 'fr' }, app_metadata: { role: 'admin' } });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('issues a JWT for the management API when the login asks for resource=$ISSUER/api/v2/', async () => {
    const tokens = await userToken();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: `${tessera.issuer}/api/v2/`, sub: user.profile.user_id });
  });

  it('me.get returns the caller’s own profile', async () => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    expect(await me.me.get.query()).toMatchObject({ user_id: user.profile.user_id, email: user.email, name: 'Me Myself' });
  });

  it('me.update changes the allowed attributes and merges user_metadata', async () => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const updated = await me.me.update.mutate({ nickname: 'memyself', user_metadata: { tz: 'Europe/Paris' } });
    expect(updated).toMatchObject({
      nickname: 'memyself',
      user_metadata: { lang: 'fr', tz: 'Europe/Paris' },
      app_metadata: { role: 'admin' },
    });
  });

  it.each([
    ['app_metadata', { app_metadata: { role: 'owner' } }],
    ['email', { email: 'other@example.com' }],
    ['blocked', { blocked: false }],
    ['password', { password: 'a new long password' }],
  ])('me.update refuses %s with BAD_REQUEST', async (field, input) => {
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const error = await errorOf(me.me.update.mutate(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(field);
  });

  it('refuses a machine token on me.* and a user token on users.*', async () => {
    const admin = await adminClient(tessera.issuer);
    expect((await errorOf(admin.me.get.query())).code).toBe('FORBIDDEN');
    const me = managementClient(tessera.issuer, (await userToken()).access_token);
    const error = await errorOf(me.users.get.query({ id: user.profile.user_id }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('read:users');
  });

  it('refuses an ID token or an opaque access token as a bearer', async () => {
    const tokens = await login(config, { scope: 'openid', username: user.email, password: user.password });
    expect((await errorOf(managementClient(tessera.issuer, tokens.tokens.id_token!).me.get.query())).code).toBe('UNAUTHORIZED');
    expect((await errorOf(managementClient(tessera.issuer, tokens.tokens.access_token).me.get.query())).code).toBe('UNAUTHORIZED');
  });

  it("revokes a deleted user's grants and sessions: me.* answers UNAUTHORIZED and the refresh token fails", async () => {
    const doomed = await createUser(tessera);
    const { tokens } = await login(config, {
      scope: `openid offline_access ${SELF_SERVICE}`,
      username: doomed.email,
      password: doomed.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    const { adapter } = tessera.services;
    expect(await adapter('Grant').idsByAccount(doomed.profile.user_id)).toHaveLength(1);
    expect(await adapter('Session').idsByAccount(doomed.profile.user_id)).toHaveLength(1);
    const admin = await adminClient(tessera.issuer);
    await admin.users.delete.mutate({ id: doomed.profile.user_id });
    expect(await adapter('Grant').idsByAccount(doomed.profile.user_id)).toEqual([]);
    expect(await adapter('Session').idsByAccount(doomed.profile.user_id)).toEqual([]);
    const error = await errorOf(managementClient(tessera.issuer, tokens.access_token).me.get.query());
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('no longer exists');
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it("stops a blocked user's token at once: me.get and me.update answer UNAUTHORIZED saying the user is blocked", async () => {
    const blocked = await createUser(tessera);
    const { tokens } = await login(config, {
      scope: `openid ${SELF_SERVICE}`,
      username: blocked.email,
      password: blocked.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    const me = managementClient(tessera.issuer, tokens.access_token);
    expect(await me.me.get.query()).toMatchObject({ user_id: blocked.profile.user_id, blocked: false });
    const admin = await adminClient(tessera.issuer);
    await admin.users.update.mutate({ id: blocked.profile.user_id, blocked: true });
    for (const call of [me.me.get.query(), me.me.update.mutate({ picture: 'https://example.com/after-block.png' })]) {
      const error = await errorOf(call);
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toContain('blocked');
    }
    expect((await admin.users.get.query({ id: blocked.profile.user_id })).picture).toBeUndefined();
  });

  describe('self-service scopes', () => {
    const audience = () => `${tessera.issuer}/api/v2/`;

    it('gives a first-party client read:current_user and update:current_user_metadata when it asks, without a consent page', async () => {
      const { tokens } = await login(config, {
        scope: `openid ${SELF_SERVICE}`,
        username: user.email,
        password: user.password,
        extraParams: { resource: audience() },
      });
      expect(scopesOf(tokens.access_token)).toEqual(['read:current_user', 'update:current_user_metadata']);
    });

    it('never puts management scopes in a user’s token, even when asked', async () => {
      const tokens = await userToken(`openid read:current_user read:users update:users update:clients`);
      expect(scopesOf(tokens.access_token)).toEqual(['read:current_user']);
      expect(
        (await errorOf(managementClient(tessera.issuer, tokens.access_token).users.get.query({ id: user.profile.user_id }))).code,
      ).toBe('FORBIDDEN');
    });

    it('refuses me.get without read:current_user and me.update without update:current_user_metadata, FORBIDDEN naming the scope', async () => {
      const none = managementClient(tessera.issuer, (await userToken('openid')).access_token);
      const noRead = await errorOf(none.me.get.query());
      expect(noRead.code).toBe('FORBIDDEN');
      expect(noRead.message).toContain('read:current_user');
      const readOnly = managementClient(tessera.issuer, (await userToken('openid read:current_user')).access_token);
      expect(await readOnly.me.get.query()).toMatchObject({ user_id: user.profile.user_id });
      const noUpdate = await errorOf(readOnly.me.update.mutate({ nickname: 'sneaky' }));
      expect(noUpdate.code).toBe('FORBIDDEN');
      expect(noUpdate.message).toContain('update:current_user_metadata');
      const updateOnly = managementClient(tessera.issuer, (await userToken('openid update:current_user_metadata')).access_token);
      expect((await errorOf(updateOnly.me.get.query())).message).toContain('read:current_user');
      expect(await updateOnly.me.update.mutate({ nickname: 'allowed' })).toMatchObject({ nickname: 'allowed' });
    });

    describe('for a third-party client', () => {
      let thirdParty: oidc.Configuration;

      beforeAll(async () => {
        const client = await createClient(tessera, { is_first_party: false, client_name: 'Outside App' });
        thirdParty = await discover(tessera.issuer, client.client_id, client.client_secret);
      });

      /** Logs in (unless the browser's session already has), answers the consent page with Allow, and returns the page and the tokens. */
      async function consentedLogin(scope: string, person: Awaited<ReturnType<typeof createUser>>, signedIn?: Browser) {
        const { page, browser, codeVerifier, state, nonce } = await openLoginPage(thirdParty, scope, { resource: audience() }, signedIn);
        if (!isPage(page)) throw new Error('expected the login or the consent page');
        const consent = signedIn ? page : await browser.submit(page, { username: person.email, password: person.password }, REDIRECT_URI);
        if (!isPage(consent)) throw new Error('a third-party client must get a consent page');
        const done = await browser.submit(consent, {}, REDIRECT_URI);
        if (isPage(done)) throw new Error(`consent did not complete the flow: ${done.status}`);
        const tokens = await oidc.authorizationCodeGrant(thirdParty, new URL(done.redirect), {
          pkceCodeVerifier: codeVerifier,
          expectedState: state,
          expectedNonce: nonce,
        });
        return { consent, tokens, browser };
      }

      const listed = (consent: {
        document: { querySelectorAll(selector: string): Array<{ getAttribute(name: string): string | undefined; text: string }> };
      }) =>
        Object.fromEntries(consent.document.querySelectorAll('li[data-scope]').map((item) => [item.getAttribute('data-scope'), item.text]));

      it('cannot reach me.get or me.update with a token whose consent did not include these scopes', async () => {
        const person = await createUser(tessera);
        const { consent, tokens } = await consentedLogin('openid', person);
        expect(Object.keys(listed(consent))).toEqual(['openid']);
        expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: audience(), sub: person.profile.user_id });
        const me = managementClient(tessera.issuer, tokens.access_token);
        expect((await errorOf(me.me.get.query())).code).toBe('FORBIDDEN');
        expect((await errorOf(me.me.update.mutate({ picture: 'https://attacker.example/p.png' }))).code).toBe('FORBIDDEN');
        expect((await (await adminClient(tessera.issuer)).users.get.query({ id: person.profile.user_id })).picture).toBeUndefined();
      });

      it('lists the scopes in words on the consent page, and once they are allowed me.get and me.update work', async () => {
        const person = await createUser(tessera);
        const { consent, tokens } = await consentedLogin(`openid ${SELF_SERVICE}`, person);
        const items = listed(consent);
        expect(Object.keys(items).sort()).toEqual(['openid', 'read:current_user', 'update:current_user_metadata']);
        expect(items['read:current_user']).toMatch(/Read your whole account.*email/);
        expect(items['update:current_user_metadata']).toMatch(/Change your name.*user metadata/);
        expect(scopesOf(tokens.access_token)).toEqual(['read:current_user', 'update:current_user_metadata']);
        const me = managementClient(tessera.issuer, tokens.access_token);
        expect(await me.me.get.query()).toMatchObject({ user_id: person.profile.user_id, email: person.email });
        expect(await me.me.update.mutate({ nickname: 'consented' })).toMatchObject({ nickname: 'consented' });
      });

      it('lists the account page’s scopes in words on the consent page, and puts them in the token only once allowed', async () => {
        const person = await createUser(tessera);
        const asked = ['update:current_user', 'update:current_user_identities', 'delete:current_user'];
        const { consent, tokens } = await consentedLogin(`openid ${asked.join(' ')}`, person);
        const items = listed(consent);
        expect(Object.keys(items).sort()).toEqual(['openid', ...asked].sort());
        expect(items['update:current_user']).toMatch(/Change your password and email address/);
        expect(items['update:current_user_identities']).toMatch(/Link other accounts/);
        expect(items['delete:current_user']).toMatch(/Delete your account/);
        expect(scopesOf(tokens.access_token)).toEqual([...asked].sort());
      });

      it('asks again in the same session for a scope the user has not allowed yet, listing only that one', async () => {
        const person = await createUser(tessera);
        const first = await consentedLogin('openid read:current_user', person);
        expect(scopesOf(first.tokens.access_token)).toEqual(['read:current_user']);
        const { consent, tokens } = await consentedLogin(`openid ${SELF_SERVICE}`, person, first.browser);
        expect(Object.keys(listed(consent))).toEqual(['update:current_user_metadata']);
        expect(scopesOf(tokens.access_token)).toEqual(['read:current_user', 'update:current_user_metadata']);
      });
    });
  });
});
