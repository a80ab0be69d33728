import { rm } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { takeEvents } from '../support/take-events.js';
import { startTestTessera } from '../support/tessera.js';
import { observations, writeRulesDir } from './rule-files.js';

/** A browser that names itself, so the rule's event.request.user_agent can be checked. */
class NamedBrowser extends Browser {
  override request(url: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    headers.set('user-agent', 'RulesTest/1.0');
    return super.request(url, { ...init, headers });
  }
}

interface LogLine {
  level: number;
  msg: string;
  rule?: string;
  user_id?: string;
  reason?: string;
  method?: string;
  err?: { message: string };
}

describe('post-login rules', () => {
  const logLines: LogLine[] = [];
  let rulesDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;
  let admin: Awaited<ReturnType<typeof adminClient>>;

  beforeAll(async () => {
    rulesDir = await writeRulesDir();
    const sink = logSink(logLines);
    tessera = await startTestTessera({ env: { RULES_DIR: rulesDir }, logger: pino({ level: 'info' }, sink) });
    client = await createClient(tessera, { client_name: 'Rules App' });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
    admin = await adminClient(tessera.issuer);
  });
  afterAll(async () => {
    await tessera?.stop();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  const userWith = (scenario: string, appMetadata: Record<string, unknown> = {}) =>
    createUser(tessera, { email_verified: true, name: 'Rule Tester', app_metadata: { scenario, ...appMetadata } });

  /** Submits the login form and returns where the browser ended: a page, never the relying party. */
  async function refusedLogin(user: Awaited<ReturnType<typeof userWith>>): Promise<Page> {
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const after = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (!isPage(after)) throw new Error(`the login reached the relying party: ${after.redirect}`);
    return after;
  }

  const logged = (userId: string, msg: string) => logLines.filter((line) => line.user_id === userId && line.msg === msg);

  it('runs the rule files in file-name order with a frozen event describing the login', async () => {
    const user = await userWith('none', { tier: 'basic' });
    await login(config, { scope: 'openid profile email', username: user.email, password: user.password, browser: new NamedBrowser() });

    const seen = await observations(rulesDir, user.profile.user_id);
    expect(seen.map((entry) => entry.rule)).toEqual(['10-observe.mjs', '20-typed.ts', '30-scenario.mjs', '40-after.mjs']);
    const [first] = seen;
    expect(first?.frozen).toBe(true);
    expect(first?.refused).toBe(3);
    expect(Object.keys(first?.event ?? {}).sort()).toEqual(['authentication', 'client', 'connection', 'request', 'scopes', 'user']);
    expect(first?.event).toMatchObject({
      user: {
        user_id: user.profile.user_id,
        email: user.email,
        name: 'Rule Tester',
        app_metadata: { scenario: 'none', tier: 'basic' },
        identities: [{ connection: 'Username-Password', provider: 'database' }],
      },
      client: { client_id: client.client_id, name: 'Rules App' },
      connection: { name: 'Username-Password', strategy: 'database' },
      request: { ip: expect.stringMatching(/127\.0\.0\.1/), user_agent: 'RulesTest/1.0' },
      scopes: ['openid', 'profile', 'email'],
      authentication: { methods: [{ name: 'pwd' }] },
    });
  });

  it("keeps an operator's management_scopes out of the rules' event", async () => {
    const user = await userWith('none');
    await admin.users.update.mutate({ id: user.profile.user_id, management_scopes: ['read:users'] });
    await login(config, { scope: 'openid', username: user.email, password: user.password });
    const [first] = await observations(rulesDir, user.profile.user_id);
    expect(first?.event).toMatchObject({ user: { user_id: user.profile.user_id } });
    expect(first?.event?.['user']).not.toHaveProperty('management_scopes');
  });

  it('puts namespaced claims in the ID token and the access token, and keeps them after a refresh', async () => {
    const user = await userWith('claims');
    const { tokens } = await login(config, {
      scope: 'openid offline_access',
      username: user.email,
      password: user.password,
      extraParams: { resource: `${tessera.issuer}/api/v2/` },
    });
    const expectTokens = (current: typeof tokens) => {
      const idToken = current.claims()!;
      expect(idToken).toMatchObject({ 'https://rules.test/greeting': 'hello', 'https://rules.test/roles': ['admin', 'ops'] });
      expect(idToken).not.toHaveProperty(['https://rules.test/level']);
      const accessToken = decodeJwt(current.access_token);
      expect(accessToken).toMatchObject({
        sub: user.profile.user_id,
        'https://rules.test/level': 3,
        'https://rules.test/roles': ['admin', 'ops'],
      });
      expect(accessToken).not.toHaveProperty(['https://rules.test/greeting']);
    };
    expectTokens(tokens);
    expectTokens(await oidc.refreshTokenGrant(config, tokens.refresh_token!));
  });

  it('shows access-token claims of opaque tokens at introspection, and keeps ID-token claims out of userinfo', async () => {
    const user = await userWith('claims');
    const { tokens } = await login(config, { scope: 'openid email', username: user.email, password: user.password });
    const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: user.profile.user_id, 'https://rules.test/level': 3 });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.profile.user_id)).toEqual({
      sub: user.profile.user_id,
      email: user.email,
      email_verified: true,
    });
  });

  it('gives tokens the claims of the latest login, so a login whose rules set none clears them, refreshes included', async () => {
    const user = await userWith('claims');
    const first = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    expect(first.tokens.claims()).toHaveProperty(['https://rules.test/greeting'], 'hello');

    await admin.users.update.mutate({ id: user.profile.user_id, app_metadata: { scenario: 'none' } });
    const second = await login(config, { scope: 'openid', username: user.email, password: user.password });
    expect(second.tokens.claims()).not.toHaveProperty(['https://rules.test/greeting']);
    const refreshed = await oidc.refreshTokenGrant(config, first.tokens.refresh_token!);
    expect(refreshed.claims()).not.toHaveProperty(['https://rules.test/greeting']);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token))['https://rules.test/level']).toBeUndefined();
  });

  it('saves setAppMetadata and setUserMetadata as users.update does, and the next rule sees them', async () => {
    const user = await userWith('metadata', { obsolete: 'yes' });
    let tokens: Awaited<ReturnType<typeof login>>['tokens'] | undefined;
    const events = await takeEvents(tessera.services.events, { userId: user.profile.user_id }, 2, async () => {
      ({ tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password }));
    });
    expect(events.map((event) => event.type)).toEqual(['user.updated', 'user.login']);

    const saved = await admin.users.get.query({ id: user.profile.user_id });
    expect(saved.app_metadata).toEqual({ scenario: 'metadata', plan: 'gold' });
    expect(saved.user_metadata).toEqual({ theme: 'dark' });
    // 40-after read the plan 30-scenario had just set.
    expect(tokens?.claims()).toHaveProperty(['https://rules.test/plan'], 'gold');
  });

  it('denies the login with the reason on a 403 page, runs no later rule and still saves the denying rule’s metadata', async () => {
    const user = await userWith('deny');
    const page = await refusedLogin(user);

    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('Testers may not log in to this application.');
    expect((await observations(rulesDir, user.profile.user_id)).map((entry) => entry.rule)).not.toContain('40-after.mjs');
    const saved = await admin.users.get.query({ id: user.profile.user_id });
    expect(saved.app_metadata).toEqual({ scenario: 'deny', denied_at_least_once: true });
    expect(saved.logins_count).toBe(0);
    expect(logged(user.profile.user_id, 'login rule denied access')).toMatchObject([
      { rule: '30-scenario.mjs', reason: 'Testers may not log in to this application.' },
    ]);
  });

  it.each([
    ['a name that is not a URL', 'roles'],
    ['a URL under the issuer', 'ISSUER/roles'],
    ['a URN', 'urn:example:roles'],
  ])('denies a login whose rule sets a claim with %s, even when the rule catches the error', async (_what, name) => {
    const user = await userWith('bad-claim', { claim_name: name.replace('ISSUER', tessera.issuer) });
    const page = await refusedLogin(user);

    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('A login rule failed (30-scenario.mjs).');
    expect(logged(user.profile.user_id, 'login rule failed')).toMatchObject([
      { rule: '30-scenario.mjs', reason: expect.stringContaining(name.replace('ISSUER', tessera.issuer)) },
    ]);
  });

  it('denies the login when a rule throws, naming the rule on the page and logging the error only', async () => {
    const user = await userWith('throw');
    const page = await refusedLogin(user);

    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('A login rule failed (30-scenario.mjs).');
    expect(page.html).not.toContain('hunter2');
    const [line] = logged(user.profile.user_id, 'login rule failed');
    expect(line).toMatchObject({ level: 50, rule: '30-scenario.mjs', err: { message: expect.stringContaining('hunter2') } });
    expect((await admin.users.get.query({ id: user.profile.user_id })).logins_count).toBe(0);
  });

  it('ignores an api call a rule makes after it returned, and logs it', async () => {
    const user = await userWith('late');
    await login(config, { scope: 'openid', username: user.email, password: user.password });
    await vi.waitFor(
      () =>
        expect(logged(user.profile.user_id, 'login rule called the api after it had finished; ignored')).toMatchObject([
          { rule: '30-scenario.mjs', method: 'api.access.deny' },
        ]),
      {
        timeout: 10_000,
      },
    );
    expect((await admin.users.get.query({ id: user.profile.user_id })).logins_count).toBe(1);
  });

  it('denies the login when a rule does not finish within its time limit', async () => {
    const user = await userWith('hang');
    const page = await refusedLogin(user);

    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('A login rule did not finish in time (30-scenario.mjs).');
    expect(logged(user.profile.user_id, 'login rule did not finish in time')).toMatchObject([{ level: 50, rule: '30-scenario.mjs' }]);
  });
});
