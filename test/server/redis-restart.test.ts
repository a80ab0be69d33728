import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { basicAuthorization } from '../../bench/target.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

type Phase = 'before' | 'outage' | 'after';

const USERINFO_WORKERS = 8;
const REFRESH_WORKERS = 2;
// Bounds on the load, whatever the machine's speed.
const MAX_REQUESTS = 20_000;
const LOAD_BEFORE_MS = 1_000;
const OUTAGE_MS = 2_000;
const LOAD_AFTER_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('when redis-server is SIGKILLed under load and comes back empty', () => {
  const logLines: Array<{ level: number; msg: string }> = [];
  let redisPort: number;
  let redis: RedisServer;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  // A second node on the same stores and issuer, to revoke from once Redis is back.
  let other: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedisServer(redisPort);
    tessera = await startTestTessera({ redis: redis.url, logger: pino({ level: 'info' }, logSink(logLines)) });
    other = await startTestTessera({ databaseUrl: tessera.databaseUrl, redis: redis.url, env: { ISSUER: tessera.issuer } });
  });
  afterAll(async () => {
    await other?.stop();
    await tessera?.stop();
    await redis?.stop();
  });

  it('fails no request during the outage or after it, and honours every earlier token, session and interaction, and every revocation', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const basic = basicAuthorization({ clientId: client.client_id, clientSecret: client.client_secret });
    const signIn = () => login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    const post = (path: string, form: Record<string, string>) =>
      fetch(`${tessera.issuer}${path}`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const userinfo = (accessToken: string) => fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

    // Written while Redis is up: tokens for the load, a browser session, an interaction half-way.
    const logins = await Promise.all([signIn(), signIn(), signIn(), signIn()]);
    const earlierTokens = logins.map((done) => done.tokens.access_token);
    const pendingLogin = await openLoginPage(config, 'openid');
    if (!isPage(pendingLogin.page)) throw new Error('expected the login page');

    // Revoked while Redis is up: one access token alone, and a refresh token with its grant's access token.
    const [revokedAlone, revokedGrant] = await Promise.all([signIn(), signIn()]);
    expect((await post('/token/revocation', { token: revokedAlone.tokens.access_token, token_type_hint: 'access_token' })).status).toBe(
      200,
    );
    expect((await post('/token/revocation', { token: revokedGrant.tokens.refresh_token!, token_type_hint: 'refresh_token' })).status).toBe(
      200,
    );
    const revoked = [revokedAlone.tokens.access_token, revokedGrant.tokens.access_token];
    for (const token of revoked) expect((await userinfo(token)).status).toBe(401);

    // Consumed while Redis is up: an authorization code, redeemed once.
    const codeLogin = await openLoginPage(config, 'openid');
    if (!isPage(codeLogin.page)) throw new Error('expected the login page');
    const redirected = await codeLogin.browser.submit(codeLogin.page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (isPage(redirected)) throw new Error('login did not complete');
    const code = new URL(redirected.redirect).searchParams.get('code')!;
    const redeemCode = () =>
      post('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: codeLogin.codeVerifier });
    expect((await redeemCode()).status).toBe(200);

    let phase: Phase = 'before';
    let stopping = false;
    let sent = 0;
    const counts: Record<Phase, { sent: number; failed: number }> = {
      before: { sent: 0, failed: 0 },
      outage: { sent: 0, failed: 0 },
      after: { sent: 0, failed: 0 },
    };
    const failures: string[] = [];
    const attempt = async (what: string, request: () => Promise<boolean>) => {
      const during = phase;
      counts[during].sent += 1;
      sent += 1;
      const ok = await request().catch(() => false);
      if (!ok) {
        counts[during].failed += 1;
        failures.push(`${during}: ${what}`);
      }
      return ok;
    };
    const running = () => !stopping && sent < MAX_REQUESTS;
    const issuedDuringOutage: string[] = [];

    const userinfoWorker = async (worker: number) => {
      for (let turn = worker; running(); turn += 1) {
        await attempt(
          'userinfo with an earlier token',
          async () => (await userinfo(earlierTokens[turn % earlierTokens.length]!)).status === 200,
        );
      }
    };
    // New token requests: each refresh rotates its own chain, then its new access token is used.
    const refreshWorker = async (worker: number) => {
      let refreshToken = logins[worker]!.tokens.refresh_token!;
      while (running()) {
        await attempt('refresh_token grant, then userinfo', async () => {
          const response = await post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
          if (response.status !== 200) return false;
          const tokens = (await response.json()) as { access_token: string; refresh_token: string };
          refreshToken = tokens.refresh_token;
          if (phase === 'outage') issuedDuringOutage.push(tokens.access_token);
          return (await userinfo(tokens.access_token)).status === 200;
        });
      }
    };
    const load = Promise.all([
      ...Array.from({ length: USERINFO_WORKERS }, (_, worker) => userinfoWorker(worker)),
      ...Array.from({ length: REFRESH_WORKERS }, (_, worker) => refreshWorker(worker)),
    ]);

    await sleep(LOAD_BEFORE_MS);
    await redis.kill();
    phase = 'outage';
    await sleep(OUTAGE_MS);
    redis = await startRedisServer(redisPort);
    await waitFor(async () => logLines.some((line) => line.msg === 'redis available again'), 15_000);
    phase = 'after';
    await sleep(LOAD_AFTER_MS);
    stopping = true;
    await load;

    expect(counts.outage.sent).toBeGreaterThan(0);
    expect(counts.after.sent).toBeGreaterThan(0);
    expect({ counts, failures: failures.slice(0, 5) }).toEqual({
      counts: {
        before: { sent: counts.before.sent, failed: 0 },
        outage: { sent: counts.outage.sent, failed: 0 },
        after: { sent: counts.after.sent, failed: 0 },
      },
      failures: [],
    });

    // Redis came back empty and serves the earlier tokens again, written back on their first miss.
    const observer = new Redis(redis.url);
    try {
      for (const token of earlierTokens) expect(await observer.exists(`oidc:AccessToken:${token}`)).toBe(1);
      for (const token of revoked) expect(await observer.exists(`oidc:AccessToken:${token}`)).toBe(0);
    } finally {
      observer.disconnect();
    }
    // Issued while Redis was away: recorded in PostgreSQL, so still good.
    expect(issuedDuringOutage.length).toBeGreaterThan(0);
    for (const token of issuedDuringOutage) expect((await userinfo(token)).status).toBe(200);
    // Revoked on the other node now that the copies are back in Redis: refused here at once.
    const onOther = await fetch(`${other.url}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: earlierTokens[0]!, token_type_hint: 'access_token' }),
    });
    expect(onOther.status).toBe(200);
    expect((await userinfo(earlierTokens[0]!)).status).toBe(401);
    // Revoked and consumed before the kill: still so.
    for (const token of revoked) expect((await userinfo(token)).status).toBe(401);
    expect(await (await redeemCode()).json()).toMatchObject({ error: 'invalid_grant' });
    // The browser's session: the next authorization request signs in without the form.
    const again = await openLoginPage(config, 'openid', {}, logins[0]!.browser);
    expect(isPage(again.page)).toBe(false);
    // The interaction started before the kill: its form completes the login.
    const resumed = await pendingLogin.browser.submit(pendingLogin.page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (isPage(resumed)) throw new Error(`the interaction was lost: ${resumed.status}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(resumed.redirect), {
      pkceCodeVerifier: pendingLogin.codeVerifier,
      expectedState: pendingLogin.state,
      expectedNonce: pendingLogin.nonce,
    });
    expect(tokens.claims()?.sub).toBe(user.profile.user_id);
  }, 90_000);
});
