import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCallback, accountClient, type Person, signIn } from '../support/account-signin.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, openLoginPage } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const ACCOUNT_SCOPES = 'openid read:current_user update:current_user update:current_user_identities';

/** Every cookie value a browser holds: the session cookie among them. */
const cookieValues = (browser: Browser) =>
  browser
    .cookieHeader()
    .split('; ')
    .filter(Boolean)
    .map((pair) => pair.slice(pair.indexOf('=') + 1));

describe('me.sessions, me.applications and ending them', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let alpha: oidc.Configuration;
  let beta: oidc.Configuration;
  let alphaId: string;
  let betaId: string;
  let account: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    const a = await createClient(tessera, { client_name: 'Alpha App' });
    const b = await createClient(tessera, { client_name: 'Beta App' });
    alphaId = a.client_id;
    betaId = b.client_id;
    alpha = await discover(tessera.issuer, a.client_id, a.client_secret);
    beta = await discover(tessera.issuer, b.client_id, b.client_secret);
    account = await accountClient(tessera);
  });
  afterAll(() => tessera?.stop());

  /** The account page's client: the person signed in there, with a token for me.* holding `scope`. */
  async function accountPage(person: Person, scope = ACCOUNT_SCOPES) {
    const { tokens, browser } = await signIn(account, person, {
      scope,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
      redirectUri: accountCallback(tessera.issuer),
    });
    return { me: managementClient(tessera.issuer, tokens.access_token).me, browser };
  }

  it('lists each session with the applications signed into there, by name, and never a cookie value', async () => {
    const person = await createUser(tessera);
    const laptop = (await signIn(alpha, person)).browser;
    await signIn(beta, person, { browser: laptop });
    const phone = (await signIn(alpha, person)).browser;
    const { me, browser: accountBrowser } = await accountPage(person);

    const sessions = await me.sessions.query();
    expect(sessions).toHaveLength(3);
    const byApps = sessions.map((session) => session.applications.map(({ name }) => name).sort());
    expect(byApps).toEqual(expect.arrayContaining([['Alpha App', 'Beta App'], ['Alpha App'], ['Tessera account']]));
    expect(sessions.find((session) => session.applications.length === 2)?.applications).toEqual(
      expect.arrayContaining([
        { client_id: alphaId, name: 'Alpha App' },
        { client_id: betaId, name: 'Beta App' },
      ]),
    );
    for (const session of sessions) {
      expect(Date.parse(session.created_at)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(session.expires_at ?? '')).toBeGreaterThan(Date.now());
    }
    const listed = JSON.stringify(sessions);
    for (const value of [laptop, phone, accountBrowser].flatMap(cookieValues)) expect(listed).not.toContain(value);
  });

  it("ends one session: that browser's next silent /authorize gets login_required, its refresh tokens fail, the other session's work", async () => {
    const person = await createUser(tessera);
    const laptop = await signIn(alpha, person, { scope: 'openid offline_access' });
    await signIn(beta, person, { browser: laptop.browser });
    const phone = await signIn(alpha, person, { scope: 'openid offline_access' });
    const { me } = await accountPage(person);
    const before = await me.sessions.query();
    // The laptop's session is the one signed into both applications.
    const laptopSession = before.find((session) => session.applications.length === 2);
    expect(laptopSession).toBeDefined();

    expect(await me.endSession.mutate({ id: laptopSession?.id ?? '' })).toEqual({ ended: true });

    const silent = await openLoginPage(alpha, 'openid', { prompt: 'none' }, laptop.browser);
    if (isPage(silent.page)) throw new Error('prompt=none must answer with a redirect');
    expect(new URL(silent.page.redirect).searchParams.get('error')).toBe('login_required');
    await expect(oidc.refreshTokenGrant(alpha, laptop.tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.refreshTokenGrant(alpha, phone.tokens.refresh_token ?? '')).access_token).toBeTruthy();
    const stillSilent = await openLoginPage(alpha, 'openid', { prompt: 'none' }, phone.browser);
    expect(isPage(stillSilent.page) ? undefined : new URL(stillSilent.page.redirect).searchParams.get('code')).toBeTruthy();

    const after = await me.sessions.query();
    expect(after.map(({ id }) => id)).not.toContain(laptopSession?.id);
    expect(after).toHaveLength(before.length - 1);
  });

  it('answers NOT_FOUND for a session id that is not one of the caller’s', async () => {
    const person = await createUser(tessera);
    const other = await createUser(tessera);
    await signIn(alpha, other);
    const { me: otherMe } = await accountPage(other);
    const [othersSession] = await otherMe.sessions.query();
    const { me } = await accountPage(person);
    for (const id of ['not-a-session', othersSession?.id ?? '']) {
      const error = await errorOf(me.endSession.mutate({ id }));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('no such session');
    }
    expect(await otherMe.sessions.query()).toHaveLength(2);
  });

  it("lists the applications with the scopes granted, API scopes included, and revokes one: its refresh token fails, the other's works", async () => {
    const person = await createUser(tessera);
    const browser = new Browser();
    const a = await signIn(alpha, person, { browser, scope: 'openid email offline_access' });
    const b = await signIn(beta, person, { browser, scope: 'openid offline_access' });
    const { me } = await accountPage(person);

    const applications = await me.applications.query();
    expect(applications.map(({ name }) => name).sort()).toEqual(['Alpha App', 'Beta App', 'Tessera account']);
    expect(applications.find(({ client_id }) => client_id === alphaId)?.scopes).toEqual(
      expect.arrayContaining(['openid', 'email', 'offline_access']),
    );
    expect(applications.find(({ client_id }) => client_id === 'tessera-account')?.scopes).toEqual(
      expect.arrayContaining(['openid', 'read:current_user', 'update:current_user', 'update:current_user_identities']),
    );

    expect(await me.revokeApplication.mutate({ client_id: betaId })).toEqual({ revoked: true });

    await expect(oidc.refreshTokenGrant(beta, b.tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.refreshTokenGrant(alpha, a.tokens.refresh_token ?? '')).access_token).toBeTruthy();
    expect((await me.applications.query()).map(({ client_id }) => client_id)).not.toContain(betaId);
    const again = await errorOf(me.revokeApplication.mutate({ client_id: betaId }));
    expect(again.code).toBe('NOT_FOUND');
  });

  it('needs read:current_user to list and update:current_user to end, FORBIDDEN naming the scope', async () => {
    const person = await createUser(tessera);
    const { me: readOnly } = await accountPage(person, 'openid read:current_user');
    const [session] = await readOnly.sessions.query();
    expect(await readOnly.applications.query()).toHaveLength(1);
    for (const call of [
      readOnly.endSession.mutate({ id: session?.id ?? '' }),
      readOnly.revokeApplication.mutate({ client_id: 'tessera-account' }),
    ]) {
      const error = await errorOf(call);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('update:current_user');
    }
    const { me: none } = await accountPage(person, 'openid update:current_user');
    for (const call of [none.sessions.query(), none.applications.query()]) {
      const error = await errorOf(call);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('read:current_user');
    }
    const admin = await adminClient(tessera.issuer);
    expect((await errorOf(admin.me.sessions.query())).code).toBe('FORBIDDEN');
  });
});

describe('me.link and me.unlink', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let account: oidc.Configuration;
  let alpha: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    account = await accountClient(tessera);
    const a = await createClient(tessera, { client_name: 'Alpha App' });
    alpha = await discover(tessera.issuer, a.client_id, a.client_secret);
  });
  afterAll(() => tessera?.stop());

  async function accountPage(person: Person, scope = ACCOUNT_SCOPES, browser = new Browser()) {
    const { tokens } = await signIn(account, person, {
      browser,
      scope,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
      redirectUri: accountCallback(tessera.issuer),
    });
    return managementClient(tessera.issuer, tokens.access_token).me;
  }

  /** The second, fresh sign-in the account page asks for before linking. */
  async function freshIdToken(person: Person, browser = new Browser()) {
    const { tokens } = await signIn(account, person, {
      browser,
      extraParams: { prompt: 'login', max_age: '0' },
      redirectUri: accountCallback(tessera.issuer),
    });
    return tokens.id_token ?? '';
  }

  it('links the user of a fresh ID token, signed in from the same browser, into the caller, who stays primary; the other user is gone, with its sessions', async () => {
    const primary = await createUser(tessera, { name: 'Primary Person' });
    const secondary = await createUser(tessera, { name: 'Secondary Person' });
    const secondaryApp = await signIn(alpha, secondary, { scope: 'openid offline_access' });
    // As the account page does it: the second sign-in in the browser signed in as the caller.
    const browser = new Browser();
    const me = await accountPage(primary, ACCOUNT_SCOPES, browser);

    const linked = await me.link.mutate({ id_token: await freshIdToken(secondary, browser) });

    expect(linked).toMatchObject({ user_id: primary.profile.user_id, name: 'Primary Person', email: primary.email });
    expect(linked.identities).toHaveLength(2);
    const admin = await adminClient(tessera.issuer);
    const stored = await admin.users.get.query({ id: primary.profile.user_id });
    expect(stored.identities).toHaveLength(2);
    expect(stored.name).toBe('Primary Person');
    expect((await errorOf(admin.users.get.query({ id: secondary.profile.user_id }))).code).toBe('NOT_FOUND');
    await expect(oidc.refreshTokenGrant(alpha, secondaryApp.tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a reused ID token, one for another application, one of the caller and one signed by another key, BAD_REQUEST saying why', async () => {
    const primary = await createUser(tessera);
    const me = await accountPage(primary);

    const first = await createUser(tessera);
    const token = await freshIdToken(first);
    await me.link.mutate({ id_token: token });
    const reused = await errorOf(me.link.mutate({ id_token: token }));
    expect(reused).toMatchObject({ code: 'BAD_REQUEST', field: 'id_token' });
    expect(reused.message).toContain('used already');

    const second = await createUser(tessera);
    const forAlpha = await signIn(alpha, second, { extraParams: { prompt: 'login', max_age: '0' } });
    const wrongAudience = await errorOf(me.link.mutate({ id_token: forAlpha.tokens.id_token ?? '' }));
    expect(wrongAudience.code).toBe('BAD_REQUEST');
    expect(wrongAudience.message).toContain('another application');

    const self = await errorOf(me.link.mutate({ id_token: await freshIdToken(primary) }));
    expect(self.code).toBe('BAD_REQUEST');
    expect(self.message).toContain('the account you are signed in with');

    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...decodeJwt(await freshIdToken(second)) })
      .setProtectedHeader({ alg: 'RS256', kid: tessera.services.providers.keys.signingKeys.find(({ alg }) => alg === 'RS256')?.kid ?? '' })
      .sign(privateKey);
    const foreignKey = await errorOf(me.link.mutate({ id_token: forged }));
    expect(foreignKey.code).toBe('BAD_REQUEST');
    expect(foreignKey.message).toContain("not signed by this Tessera's keys");

    const garbage = await errorOf(me.link.mutate({ id_token: 'not.a.jwt' }));
    expect(garbage.code).toBe('BAD_REQUEST');
    expect(garbage.message).not.toMatch(/\bat\b.*\.(ts|js):\d+/);

    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.get.query({ id: second.profile.user_id })).user_id).toBe(second.profile.user_id);
  });

  it('unlinks a linked identity back into a user of its own, and refuses the primary identity', async () => {
    const primary = await createUser(tessera);
    const secondary = await createUser(tessera);
    const me = await accountPage(primary);
    const linked = await me.link.mutate({ id_token: await freshIdToken(secondary) });
    const own = linked.identities?.find((identity) => `${identity.provider}|${identity.user_id}` === primary.profile.user_id);
    const other = linked.identities?.find((identity) => identity !== own);
    if (!own || !other) throw new Error('expected the primary and the linked identity');

    const refused = await errorOf(me.unlink.mutate({ provider: own.provider, user_id: own.user_id }));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toContain('primary identity');

    const after = await me.unlink.mutate({ provider: other.provider, user_id: other.user_id });
    expect(after).toMatchObject({ user_id: primary.profile.user_id });
    expect(after.identities).toHaveLength(1);
    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.get.query({ id: `${other.provider}|${other.user_id}` })).email).toBe(secondary.email);
  });

  it('needs update:current_user_identities, FORBIDDEN naming it', async () => {
    const primary = await createUser(tessera);
    const secondary = await createUser(tessera);
    const me = await accountPage(primary, 'openid read:current_user update:current_user');
    for (const call of [
      me.link.mutate({ id_token: await freshIdToken(secondary) }),
      me.unlink.mutate({ provider: 'auth0', user_id: 'anything' }),
    ]) {
      const error = await errorOf(call);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain('update:current_user_identities');
    }
    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.get.query({ id: secondary.profile.user_id })).user_id).toBe(secondary.profile.user_id);
  });
});
