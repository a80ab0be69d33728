import * as oidc from 'openid-client';
import { pino } from 'pino';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEALED_PREFIX } from '../../adapters/crypto/sealing.js';
import { upstreamCallbackUrl } from '../../server/connections/upstream-callback-url.js';
import type { Profile } from '../../server/profiles/profile.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';
import { signInUpstream, startSilentServer, startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js';

const CONNECTION = 'Partner-SSO';
const SCOPE = 'openid profile email';

type LogLine = Record<string, unknown> & { level: number; msg: string };

describe('logging in through an oidc connection', () => {
  const logLines: LogLine[] = [];
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let upstream: UpstreamOidc;
  let admin: ReturnType<typeof managementClient>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;
  const stops: Array<() => Promise<void>> = [];

  const callbackUrl = () => upstreamCallbackUrl(tessera.issuer);

  function upstreamOptions(peer: UpstreamOidc, options: Record<string, unknown> = {}) {
    return { issuer: peer.issuer, client_id: peer.client.clientId, client_secret: peer.client.clientSecret, ...options };
  }

  async function createConnection(name: string, peer: UpstreamOidc, options: Record<string, unknown> = {}) {
    return admin.connections.create.mutate({
      name,
      strategy: 'oidc',
      options: upstreamOptions(peer, options),
      enabled_clients: [client.client_id],
    });
  }

  async function startOwnUpstream(): Promise<UpstreamOidc> {
    const peer = await startUpstreamOidc(callbackUrl());
    stops.push(() => peer.stop());
    return peer;
  }

  /** The application's authorization request with connection=<name>, followed until the browser is sent to the upstream. */
  async function startLogin(connection: string, peer: UpstreamOidc, scope = SCOPE) {
    const browser = new Browser();
    const rp = { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(rp.codeVerifier),
      code_challenge_method: 'S256',
      state: rp.state,
      nonce: rp.nonce,
      connection,
    });
    const sent = await browser.navigate(url.href, peer.authorizationEndpoint);
    if (isPage(sent)) throw new Error(`expected a redirect to the upstream, got ${sent.status}: ${sent.html.slice(0, 300)}`);
    return { browser, rp, toUpstream: new URL(sent.redirect) };
  }
  type Started = Awaited<ReturnType<typeof startLogin>>;

  /** From the redirect into the upstream to the first Location back at Tessera's callback, signed in as `login`. */
  async function atUpstream(started: Started, peer: UpstreamOidc, login: string, toUpstream = started.toUpstream): Promise<string> {
    const back = await signInUpstream(
      started.browser,
      peer,
      await started.browser.navigate(toUpstream.href, callbackUrl()),
      login,
      callbackUrl(),
    );
    if (isPage(back)) throw new Error(`the upstream did not send the browser back: ${back.status} ${back.html.slice(0, 300)}`);
    return back.redirect;
  }

  /** The application's side: the code exchanged at Tessera and its ID token checked. */
  async function atApplication(started: Started, end: Visit) {
    if (isPage(end)) throw new Error(`the login did not complete: ${end.status} ${errorText(end) ?? end.html.slice(0, 300)}`);
    return oidc.authorizationCodeGrant(config, new URL(end.redirect), {
      pkceCodeVerifier: started.rp.codeVerifier,
      expectedState: started.rp.state,
      expectedNonce: started.rp.nonce,
    });
  }

  async function upstreamLogin(login: string, connection = CONNECTION, peer = upstream) {
    const started = await startLogin(connection, peer);
    const back = await atUpstream(started, peer, login);
    return atApplication(started, await started.browser.navigate(back, REDIRECT_URI));
  }

  const errorText = (page: Page) => page.document.querySelector('.error')?.text;

  /** A step that must end on one of Tessera's pages: the page, its message and what was logged meanwhile. */
  async function refused(run: () => Promise<Visit>) {
    const logged = logLines.length;
    const end = await run();
    if (!isPage(end)) throw new Error(`the login went through: ${end.redirect}`);
    expect(end.url.startsWith(tessera.issuer)).toBe(true);
    return { page: end, error: errorText(end), logs: logLines.slice(logged) };
  }

  const usersOf = async (connection: string) =>
    (await admin.users.list.query({ q: `identities.connection:"${connection}"`, per_page: 100 })).users;

  async function storedOptions(name: string): Promise<Record<string, unknown>> {
    const [row] = await tessera.database.models.sequelize.query<{ options: Record<string, unknown> }>(
      `SELECT options FROM connections WHERE name = $1`,
      {
        bind: [name],
        type: QueryTypes.SELECT,
      },
    );
    if (!row) throw new Error(`no connection ${name}`);
    return row.options;
  }

  beforeAll(async () => {
    const sink = logSink(logLines);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink) });
    upstream = await startOwnUpstream();
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    client = await createClient(tessera);
    await createConnection(CONNECTION, upstream);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
    upstream.accounts.set('alice', {
      email: 'Alice.Liddell@Example.org',
      email_verified: true,
      first_name: 'Alice',
      surname: 'Liddell',
      name: 'Alice Liddell',
      nickname: 'alice',
    });
  });
  afterAll(async () => {
    await tessera?.stop();
    for (const stop of stops) await stop();
  });

  it("sends connection=<name> straight to the upstream's authorization endpoint, with PKCE, a nonce and $ISSUER/login/callback", async () => {
    const started = await startLogin(CONNECTION, upstream);
    const params = Object.fromEntries(started.toUpstream.searchParams);
    expect(params).toMatchObject({
      client_id: upstream.client.clientId,
      response_type: 'code',
      redirect_uri: `${tessera.issuer}/login/callback`,
      scope: SCOPE,
      code_challenge_method: 'S256',
    });
    expect(params['code_challenge']).toMatch(/^[\w-]{43}$/);
    expect(params['nonce']?.length).toBeGreaterThanOrEqual(32);
    expect(params['state']?.length).toBeGreaterThanOrEqual(32);
    const first = await started.browser.navigate(started.toUpstream.href);
    expect(isPage(first) && first.url.startsWith(`${upstream.issuer}/interaction/`)).toBe(true);
  });

  it("logs the user in with a profile normalized from the upstream's own claim names", async () => {
    const tokens = await upstreamLogin('alice');
    const userId = 'oidc|Partner-SSO|alice';
    const expected = {
      email: 'alice.liddell@example.org',
      email_verified: true,
      given_name: 'Alice',
      family_name: 'Liddell',
      name: 'Alice Liddell',
      nickname: 'alice',
    };
    // amr `fed`: the upstream vouched for the person, Tessera checked no factor itself.
    expect(tokens.claims()).toMatchObject({ sub: userId, ...expected, amr: ['fed'], acr: 'urn:tessera:acr:single-factor' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({ sub: userId, ...expected });
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({ user_id: userId, ...expected, logins_count: 1 });
    expect(profile.identities).toEqual([
      expect.objectContaining({ connection: CONNECTION, provider: 'oidc', user_id: 'Partner-SSO|alice', isSocial: false }),
    ]);
  });

  it("refreshes the profile at the next login from the upstream's changed claims, clearing what it no longer sends", async () => {
    await upstreamLogin('rabbit');
    upstream.accounts.set('rabbit', { email: 'white.rabbit@example.org', surname: 'Rabbit', first_name: 'White', name: 'White Rabbit' });
    await upstreamLogin('rabbit');
    upstream.accounts.set('rabbit', { email: 'late@example.org', surname: 'Hare', name: 'March Hare' });

    const tokens = await upstreamLogin('rabbit');
    const userId = 'oidc|Partner-SSO|rabbit';
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({ email: 'late@example.org', family_name: 'Hare', name: 'March Hare', logins_count: 3 });
    expect(profile.given_name).toBeUndefined();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(info).toMatchObject({ email: 'late@example.org', family_name: 'Hare', name: 'March Hare' });
    expect(info).not.toHaveProperty('given_name');
  });

  it('signs in the primary user through a linked upstream identity and refreshes only that identity', async () => {
    const { profile: primary } = await createUser(tessera, { name: 'Lorina Primary', given_name: 'Lorina', family_name: 'Primary' });
    upstream.accounts.set('lorina', { email: 'lorina@example.org', first_name: 'Lorina', surname: 'Liddell', name: 'Lorina Liddell' });
    await upstreamLogin('lorina');
    await admin.users.link.mutate({ id: primary.user_id, link_with: 'oidc|Partner-SSO|lorina' });
    upstream.accounts.set('lorina', { email: 'lorina@example.org', first_name: 'Lorina', surname: 'Reeve', name: 'Lorina Reeve' });

    const tokens = await upstreamLogin('lorina');
    expect(tokens.claims()).toMatchObject({ sub: primary.user_id, name: 'Lorina Primary', family_name: 'Primary', email: primary.email });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, primary.user_id)).toMatchObject({
      name: 'Lorina Primary',
      family_name: 'Primary',
    });
    const profile = await admin.users.get.query({ id: primary.user_id });
    expect(profile).toMatchObject({ name: 'Lorina Primary', given_name: 'Lorina', family_name: 'Primary', email: primary.email });
    expect(profile.identities).toHaveLength(2);
    expect(profile.identities?.[1]).toMatchObject({
      connection: CONNECTION,
      provider: 'oidc',
      user_id: 'Partner-SSO|lorina',
      profileData: { family_name: 'Reeve', name: 'Lorina Reeve', given_name: 'Lorina', email: 'lorina@example.org' },
    });
    expect(profile.identities?.[1]).toHaveProperty('access_token');
    expect((await errorOf(admin.users.get.query({ id: 'oidc|Partner-SSO|lorina' }))).code).toBe('NOT_FOUND');
  });

  describe("the upstream's tokens", () => {
    const userId = 'oidc|Partner-SSO|dodo';
    let reader: ReturnType<typeof managementClient>;

    beforeAll(async () => {
      upstream.accounts.set('dodo', { email: 'dodo@example.org', name: 'The Dodo' });
      await upstreamLogin('dodo');
      reader = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer, 'read:users'));
    });

    it('are sealed on the identity', async () => {
      const [row] = await tessera.database.models.sequelize.query<{ idp_tokens: string }>(
        `SELECT idp_tokens FROM identities WHERE user_id = $1`,
        { bind: [userId], type: QueryTypes.SELECT },
      );
      expect(row?.idp_tokens.startsWith(SEALED_PREFIX)).toBe(true);
      const { identities } = await admin.users.get.query({ id: userId });
      expect(row?.idp_tokens).not.toContain(identities?.[0]?.access_token);
    });

    it('reach a caller with read:user_idp_tokens, from users.get and users.list, and work at the upstream', async () => {
      const [identity] = (await admin.users.get.query({ id: userId })).identities ?? [];
      expect(identity).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
      const listed = await admin.users.list.query({ q: 'email:"dodo@example.org"' });
      expect(listed.users[0]?.identities?.[0]).toMatchObject({
        access_token: identity?.access_token,
        refresh_token: identity?.refresh_token,
      });

      const upstreamConfig = await oidc.discovery(
        new URL(upstream.issuer),
        upstream.client.clientId,
        upstream.client.clientSecret,
        undefined,
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      expect(await oidc.fetchUserInfo(upstreamConfig, identity?.access_token ?? '', 'dodo')).toMatchObject({
        sub: 'dodo',
        name: 'The Dodo',
      });
      const refreshed = await oidc.refreshTokenGrant(upstreamConfig, identity?.refresh_token ?? '');
      expect(refreshed.access_token).toEqual(expect.any(String));
    });

    it('are hidden from a caller without read:user_idp_tokens', async () => {
      const [identity] = (await reader.users.get.query({ id: userId })).identities ?? [];
      expect(identity).toMatchObject({ connection: CONNECTION, user_id: 'Partner-SSO|dodo' });
      expect(identity).not.toHaveProperty('access_token');
      expect(identity).not.toHaveProperty('refresh_token');
      const listed = await reader.users.list.query({ q: 'email:"dodo@example.org"' });
      expect(JSON.stringify(listed)).not.toMatch(/access_token|refresh_token/);
    });

    it('never enter the profile cache', async () => {
      const { identities } = await admin.users.get.query({ id: userId });
      const cached = await tessera.services.profileCache.read(userId, async () => undefined);
      expect(cached?.user_id).toBe(userId);
      expect(JSON.stringify(cached)).not.toContain(identities?.[0]?.access_token);
      expect(JSON.stringify(cached)).not.toMatch(/access_token|refresh_token/);
    });
  });

  it('keeps the client secret sealed in the connections table and out of connections.get and list, while logins use it', async () => {
    const stored = await storedOptions(CONNECTION);
    expect(String(stored['client_secret']).startsWith(SEALED_PREFIX)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(upstream.client.clientSecret);
    const [listed] = (await admin.connections.list.query({ strategy: 'oidc' })).connections.filter(
      (connection) => connection.name === CONNECTION,
    );
    expect(listed?.options).toMatchObject({ issuer: upstream.issuer, client_id: upstream.client.clientId });
    expect(listed?.options).not.toHaveProperty('client_secret');
    expect((await admin.connections.get.query({ id: listed?.id ?? '' })).options).not.toHaveProperty('client_secret');
    expect((await upstreamLogin('alice')).claims()?.sub).toBe('oidc|Partner-SSO|alice');
  });

  it("follows the connection's changed options at the next login, though discovery is cached", async () => {
    const first = await startOwnUpstream();
    const second = await startOwnUpstream();
    const connection = await createConnection('Moving-SSO', first);
    expect((await upstreamLogin('bill', 'Moving-SSO', first)).claims()?.sub).toBe('oidc|Moving-SSO|bill');

    await admin.connections.update.mutate({ id: connection.id, options: upstreamOptions(second) });
    const started = await startLogin('Moving-SSO', second);
    expect(started.toUpstream.searchParams.get('client_id')).toBe(second.client.clientId);
    const back = await atUpstream(started, second, 'bill');
    const tokens = await atApplication(started, await started.browser.navigate(back, REDIRECT_URI));
    expect(tokens.claims()?.sub).toBe('oidc|Moving-SSO|bill');
  });

  it.each([
    [{ issuer: 'http://idp.example.com' }, 'options.issuer', 'https'],
    [{ issuer: 'not a url' }, 'options.issuer', 'URL'],
    [{ scope: 'profile email' }, 'options.scope', 'openid'],
    [{ token_endpoint_auth_method: 'private_key_jwt' }, 'options.token_endpoint_auth_method', ''],
  ])('refuses options %j, naming %s', async (options, field, says) => {
    const failure = await errorOf(createConnection('Invalid-SSO', upstream, options));
    expect(failure).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(failure.message).toContain(says);
  });

  describe('refuses, logs, and creates or changes no user', () => {
    let before: Array<Partial<Profile>>;

    beforeAll(async () => {
      await upstreamLogin('alice');
      before = await usersOf(CONNECTION);
    });

    async function expectNoUserChanged() {
      expect(await usersOf(CONNECTION)).toEqual(before);
    }

    it('an error the upstream answers with: the user cancels at its login page', async () => {
      const started = await startLogin(CONNECTION, upstream);
      const loginPage = await started.browser.navigate(started.toUpstream.href);
      if (!isPage(loginPage)) throw new Error('expected the upstream login page');
      const cancel = loginPage.document.querySelectorAll('a').find((link) => link.text.includes('Cancel'));
      const { page, error, logs } = await refused(() =>
        started.browser.navigate(new URL(cancel?.getAttribute('href') ?? '', loginPage.url).href, REDIRECT_URI),
      );
      expect(page.status).toBe(401);
      expect(error).toBe('The upstream provider refused the login (access_denied: End-User aborted interaction).');
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'upstream login failed', connection: CONNECTION, code: 'auth.invalid_credentials' }),
      );
      await expectNoUserChanged();
    });

    it("an upstream that accepts connections and never answers, given up after the connection's timeout_ms", async () => {
      const silent = await startSilentServer();
      stops.push(() => silent.stop());
      await admin.connections.create.mutate({
        name: 'Silent-SSO',
        strategy: 'oidc',
        options: { issuer: silent.url, client_id: 'tessera', timeout_ms: 300 },
        enabled_clients: [client.client_id],
      });
      const { page, error, logs } = await refused(async () => {
        const browser = new Browser();
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT_URI,
          scope: SCOPE,
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          connection: 'Silent-SSO',
        });
        return browser.navigate(url.href, REDIRECT_URI);
      });
      expect(page.status).toBe(502);
      expect(error).toBe('The upstream provider did not answer the discovery request within 300 ms.');
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'upstream login could not start', connection: 'Silent-SSO', code: 'auth.upstream_failed' }),
      );
      expect(await usersOf('Silent-SSO')).toEqual([]);
    });

    it('an upstream gone before the code could be exchanged', async () => {
      const flaky = await startOwnUpstream();
      await createConnection('Flaky-SSO', flaky);
      const started = await startLogin('Flaky-SSO', flaky);
      const back = await atUpstream(started, flaky, 'alice');
      await flaky.stop();
      const { page, error, logs } = await refused(() => started.browser.navigate(back, REDIRECT_URI));
      expect(page.status).toBe(502);
      expect(error).toMatch(/^The upstream provider could not be reached for the token request \(.+\)\.$/);
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'upstream login failed', connection: 'Flaky-SSO', code: 'auth.upstream_failed' }),
      );
      expect(await usersOf('Flaky-SSO')).toEqual([]);
    });

    it('a callback whose state names no login in progress', async () => {
      const started = await startLogin(CONNECTION, upstream);
      const back = new URL(await atUpstream(started, upstream, 'alice'));
      back.searchParams.set('state', oidc.randomState());
      const { page, error, logs } = await refused(() => started.browser.navigate(back.href, REDIRECT_URI));
      expect(page.status).toBe(400);
      expect(error).toBe('This login has expired, was already used, or does not match its state. Please start again from the application.');
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'upstream callback with an unknown, expired or already used state' }));
      await expectNoUserChanged();
    });

    it("a callback carrying another login's state: that login's PKCE verifier does not fit the code", async () => {
      const mine = await startLogin(CONNECTION, upstream);
      const theirs = await startLogin(CONNECTION, upstream);
      const back = new URL(await atUpstream(mine, upstream, 'alice'));
      back.searchParams.set('state', theirs.toUpstream.searchParams.get('state') ?? '');
      const { page, error, logs } = await refused(() => mine.browser.navigate(back.href, REDIRECT_URI));
      expect(page.status).toBe(400);
      expect(error).toMatch(
        /^The upstream provider refused the authorization code \(invalid_grant: .+\); it belongs to another login, was already used or expired\.$/,
      );
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'upstream login failed', connection: CONNECTION, code: 'auth.invalid_response' }),
      );
      await expectNoUserChanged();
    });

    it('a callback replayed after its login completed', async () => {
      const started = await startLogin(CONNECTION, upstream);
      const back = await atUpstream(started, upstream, 'alice');
      await atApplication(started, await started.browser.navigate(back, REDIRECT_URI));
      before = await usersOf(CONNECTION);
      const { page, error } = await refused(() => started.browser.navigate(back, REDIRECT_URI));
      expect(page.status).toBe(400);
      expect(error).toContain('This login has expired, was already used');
      await expectNoUserChanged();
    });

    it("an ID token whose nonce is not the login's", async () => {
      upstream.accounts.set('alice', { email: 'alice@elsewhere.example', surname: 'Changed', name: 'Changed Alice' });
      const started = await startLogin(CONNECTION, upstream);
      const tampered = new URL(started.toUpstream);
      tampered.searchParams.set('nonce', oidc.randomNonce());
      const back = await atUpstream(started, upstream, 'alice', tampered);
      const { page, error, logs } = await refused(() => started.browser.navigate(back, REDIRECT_URI));
      expect(page.status).toBe(400);
      expect(error).toBe("The ID token's nonce does not match this login.");
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'upstream login failed', connection: CONNECTION, code: 'auth.invalid_response' }),
      );
      await expectNoUserChanged();
    });

    it('a profile whose email is invalid, naming the field, for a new user and for a known one', async () => {
      for (const login of ['mad-hatter', 'alice']) {
        upstream.accounts.set(login, { email: 'not-an-email', name: 'Mad Hatter' });
        const started = await startLogin(CONNECTION, upstream);
        const back = await atUpstream(started, upstream, login);
        const { page, error, logs } = await refused(() => started.browser.navigate(back, REDIRECT_URI));
        expect(page.status).toBe(400);
        expect(error).toMatch(/^connection "Partner-SSO" returned an invalid profile: email: /);
        expect(logs).toContainEqual(
          expect.objectContaining({ msg: 'upstream login failed', connection: CONNECTION, code: 'profile.invalid' }),
        );
      }
      await expectNoUserChanged();
    });
  });
});
