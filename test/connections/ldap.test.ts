import { Client } from 'ldapts';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { PEOPLE_DN, personDn, READER, type Slapd, startSlapd } from '../support/slapd.js';
import { startTestTessera } from '../support/tessera.js';

const INVALID_LOGIN = 'Wrong email, username or password.';

describe('logging in through an ldap connection', () => {
  const logLines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  let slapd: Slapd;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;

  const directory = () => ({ url: slapd.url, search_base: PEOPLE_DN, bind_dn: READER.dn, bind_password: READER.password });

  async function createConnection(name: string, options: Record<string, unknown> = {}) {
    await admin.connections.create.mutate({
      name,
      strategy: 'ldap',
      options: { ...directory(), ...options },
      enabled_clients: [client.client_id],
    });
  }

  /** A login through one connection's form, as the login page shows it for connection=<name>. */
  function ldapLogin(connection: string, username: string, password: string, scope = 'openid profile email') {
    return login(config, { scope, username, password, extraParams: { connection } });
  }

  /** A login that must end on the login page again: the page, its error and what was logged for it. */
  async function refusedLogin(connection: string, username: string, password: string) {
    const logged = logLines.length;
    const { page, browser } = await openLoginPage(config, 'openid', { connection });
    if (!isPage(page)) throw new Error(`expected the login page, got a redirect to ${page.redirect}`);
    const after = await browser.submit(page, { username, password }, REDIRECT_URI);
    if (!isPage(after)) throw new Error(`the login went through: ${after.redirect}`);
    return { page: after, error: errorText(after), logs: logLines.slice(logged) };
  }

  const errorText = (page: Page) => page.document.querySelector('.error')?.text;
  const usersOf = async (connection: string) =>
    (await admin.users.list.query({ q: `identities.connection:"${connection}"`, per_page: 100 })).users.length;

  beforeAll(async () => {
    slapd = await startSlapd();
    const sink = logSink(logLines);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink) });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    client = await createClient(tessera);
    await createConnection('Corp-Directory');
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await slapd?.stop();
  });

  it('shows only the directory form for connection=<name> and logs the user in with a normalized profile', async () => {
    const { page } = await openLoginPage(config, 'openid', { connection: 'Corp-Directory' });
    if (!isPage(page)) throw new Error('expected the login page');
    expect(page.document.querySelectorAll('form input[name=connection]').map((input) => input.getAttribute('value'))).toEqual([
      'Corp-Directory',
    ]);

    const { tokens } = await ldapLogin('Corp-Directory', 'jane', 'jane-password');
    const userId = 'ldap|Corp-Directory|jane';
    const expected = { email: 'jane.doe@example.org', given_name: 'Jane', family_name: 'Doe', name: 'Jane Doe', nickname: 'jane' };
    expect(tokens.claims()).toMatchObject({ sub: userId, ...expected });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({ sub: userId, ...expected });
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({ user_id: userId, ...expected, logins_count: 1 });
    expect(profile.identities).toEqual([
      expect.objectContaining({ connection: 'Corp-Directory', provider: 'ldap', user_id: 'Corp-Directory|jane', isSocial: false }),
    ]);
  });

  it('finds the user by mail as well as by uid, as the default search filter says, and signs in the same user', async () => {
    const { tokens } = await ldapLogin('Corp-Directory', 'JANE.DOE@example.org', 'jane-password', 'openid');
    expect(tokens.claims()?.sub).toBe('ldap|Corp-Directory|jane');
  });

  it('logs in through the form of the page listing every connection when it is submitted with connection=<name>', async () => {
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    expect(page.document.querySelectorAll('form input[name=connection]').map((input) => input.getAttribute('value'))).toEqual([
      'Username-Password',
      'Corp-Directory',
    ]);
    const after = await browser.submit(page, { connection: 'Corp-Directory', username: 'jane', password: 'jane-password' }, REDIRECT_URI);
    if (isPage(after)) throw new Error(`login did not complete: ${errorText(after)}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(after.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.sub).toBe('ldap|Corp-Directory|jane');
  });

  it('refreshes the profile from the directory at the next login, clearing what the entry no longer has', async () => {
    await ldapLogin('Corp-Directory', 'alex', 'alex-password');
    await slapd.modify(personDn('alex'), { sn: 'Moreno', displayName: 'Alex Moreno', mail: 'alex.moreno@example.org', givenName: null });

    const { tokens } = await ldapLogin('Corp-Directory', 'alex', 'alex-password');
    const userId = 'ldap|Corp-Directory|alex';
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({ family_name: 'Moreno', name: 'Alex Moreno', email: 'alex.moreno@example.org', logins_count: 2 });
    expect(profile.given_name).toBeUndefined();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(info).toMatchObject({ family_name: 'Moreno', name: 'Alex Moreno', email: 'alex.moreno@example.org' });
    expect(info).not.toHaveProperty('given_name');
  });

  it('signs in the primary user through a linked directory identity and refreshes only that identity', async () => {
    const { profile: primary } = await createUser(tessera, { name: 'Samuel Primary', given_name: 'Samuel', family_name: 'Primary' });
    await ldapLogin('Corp-Directory', 'sam', 'sam-password');
    await admin.users.link.mutate({ id: primary.user_id, link_with: 'ldap|Corp-Directory|sam' });
    await slapd.modify(personDn('sam'), { sn: 'Lee-Park', displayName: 'Sam Lee-Park' });

    const { tokens } = await ldapLogin('Corp-Directory', 'sam', 'sam-password');
    expect(tokens.claims()).toMatchObject({ sub: primary.user_id, name: 'Samuel Primary', family_name: 'Primary', email: primary.email });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, primary.user_id)).toMatchObject({
      name: 'Samuel Primary',
      family_name: 'Primary',
    });
    const profile = await admin.users.get.query({ id: primary.user_id });
    expect(profile).toMatchObject({ name: 'Samuel Primary', given_name: 'Samuel', family_name: 'Primary', email: primary.email });
    expect(profile.identities).toHaveLength(2);
    expect(profile.identities?.[1]).toMatchObject({
      connection: 'Corp-Directory',
      provider: 'ldap',
      user_id: 'Corp-Directory|sam',
      profileData: { family_name: 'Lee-Park', name: 'Sam Lee-Park', given_name: 'Sam', email: 'sam@example.org' },
    });
    expect((await errorOf(admin.users.get.query({ id: 'ldap|Corp-Directory|sam' }))).code).toBe('NOT_FOUND');
  });

  it("applies the connection's mapping over the defaults: nickname from title, name from cn", async () => {
    await createConnection('Corp-Titles', { mapping: { nickname: 'title', name: ['cn'] } });
    const { tokens } = await ldapLogin('Corp-Titles', 'jane', 'jane-password');
    expect(tokens.claims()).toMatchObject({
      sub: 'ldap|Corp-Titles|jane',
      nickname: 'Chief Cartographer',
      name: 'Jane Q. Doe',
      family_name: 'Doe',
    });
    expect(await admin.users.get.query({ id: 'ldap|Corp-Titles|jane' })).toMatchObject({
      nickname: 'Chief Cartographer',
      name: 'Jane Q. Doe',
    });
  });

  it('identifies users by the id_attribute the connection names, an operational one included', async () => {
    await createConnection('Corp-Uuid', { id_attribute: 'entryUUID' });
    const { tokens } = await ldapLogin('Corp-Uuid', 'jane', 'jane-password', 'openid');
    expect(tokens.claims()?.sub).toMatch(/^ldap\|Corp-Uuid\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('searches anonymously when the connection has no service account', async () => {
    await createConnection('Corp-Anonymous', { bind_dn: undefined, bind_password: undefined });
    const { tokens } = await ldapLogin('Corp-Anonymous', 'kim', 'kim-password', 'openid email');
    expect(tokens.claims()).toMatchObject({ sub: 'ldap|Corp-Anonymous|kim', email: 'kim@example.org' });
  });

  it('matches a login holding filter syntax literally', async () => {
    const { tokens } = await ldapLogin('Corp-Directory', 'o(brien)*', 'pat-password', 'openid');
    expect(tokens.claims()?.sub).toBe('ldap|Corp-Directory|o(brien)*');
  });

  it('never hands the password hash to a mapping', async () => {
    await createConnection('Corp-Leaky', { mapping: { nickname: 'userPassword', name: 'userPassword' } });
    await ldapLogin('Corp-Leaky', 'alex', 'alex-password');
    const profile = await admin.users.get.query({ id: 'ldap|Corp-Leaky|alex' });
    expect(profile.nickname).not.toContain('password');
    expect(JSON.stringify(profile)).not.toContain('alex-password');
  });

  describe('refuses, logs, and creates or changes no user', () => {
    it.each([
      ['a wrong password', 'jane', 'not-janes-password'],
      ['an unknown user', 'nobody', 'jane-password'],
      ['a wildcard login with a real password', 'j*', 'jane-password'],
      ['a filter injected into the login', 'nobody)(uid=jane', 'jane-password'],
      ['a login matching two entries', 'team@example.org', 'robin-password'],
    ])('%s with the same generic message', async (_case, username, password) => {
      const before = await admin.users.get.query({ id: 'ldap|Corp-Directory|jane' }).catch(() => undefined);
      const users = await usersOf('Corp-Directory');
      const { page, error, logs } = await refusedLogin('Corp-Directory', username, password);
      expect(page.status).toBe(401);
      expect(error).toBe(INVALID_LOGIN);
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'login failed', connection: 'Corp-Directory', code: 'auth.invalid_credentials' }),
      );
      expect(JSON.stringify(logs)).not.toContain(password);
      expect(await usersOf('Corp-Directory')).toBe(users);
      if (before) expect(await admin.users.get.query({ id: 'ldap|Corp-Directory|jane' })).toEqual(before);
    });

    it('an empty password, which the directory itself would take as an unauthenticated bind', async () => {
      const direct = new Client({ url: slapd.url });
      await direct.bind(personDn('kim'), '');
      await direct.unbind();

      const { page, error, logs } = await refusedLogin('Corp-Directory', 'kim', '');
      expect(page.status).toBe(401);
      expect(error).toBe(INVALID_LOGIN);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'login failed', code: 'auth.invalid_credentials' }));
      expect((await errorOf(admin.users.get.query({ id: 'ldap|Corp-Directory|kim' }))).code).toBe('NOT_FOUND');
    });

    it('a mapping that makes an invalid email, with a message naming the field', async () => {
      await createConnection('Corp-Bad-Mapping', { mapping: { email: 'description' } });
      const { page, error, logs } = await refusedLogin('Corp-Bad-Mapping', 'kim', 'kim-password');
      expect(page.status).toBe(400);
      expect(error).toMatch(/^connection "Corp-Bad-Mapping" returned an invalid profile: email/);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'login failed', code: 'profile.invalid' }));
      expect(await usersOf('Corp-Bad-Mapping')).toBe(0);
    });

    it('an entry without the id attribute, naming it', async () => {
      await createConnection('Corp-Employees', { id_attribute: 'employeeNumber' });
      expect((await ldapLogin('Corp-Employees', 'jane', 'jane-password', 'openid')).tokens.claims()?.sub).toBe('ldap|Corp-Employees|1001');
      const { page, error } = await refusedLogin('Corp-Employees', 'alex', 'alex-password');
      expect(page.status).toBe(400);
      expect(error).toBe('the directory entry has no employeeNumber attribute to identify the user by');
      expect(await usersOf('Corp-Employees')).toBe(1);
    });
  });

  it.each([
    [{ bind_password: undefined }, 'bind_password'],
    [{ search_filter: '(uid=jane)' }, 'search_filter'],
    [{ search_filter: '(uid={login}' }, 'search_filter'],
  ])('refuses options %j naming %s', async (options, field) => {
    const failure = await errorOf(
      admin.connections.create.mutate({
        name: 'Corp-Invalid',
        strategy: 'ldap',
        options: { ...directory(), ...options },
        enabled_clients: [],
      }),
    );
    expect(failure).toMatchObject({ code: 'BAD_REQUEST' });
    expect(failure.message).toContain(field);
  });
});
