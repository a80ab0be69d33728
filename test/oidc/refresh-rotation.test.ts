import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startNodes, startTestTessera, type TestTessera } from '../support/tessera.js';
import { refresh, refreshTokenActive, revokeRefreshToken, type TokenAnswer, tokenRequest } from '../support/token-requests.js';

const CONCURRENT_REFRESHES = 50;

/**
 * The one redemption that passed the single-use check answers with its tokens, or, when the
 * others revoked the grant before its tokens were written, with invalid_grant saying so: tokens
 * already revoked are never handed out.
 */
const passedSingleUse = (answer: TokenAnswer) => answer.status === 200 || answer.body.error_description === 'The grant was revoked.';

const userinfoStatus = async (url: string, accessToken: string) =>
  (await fetch(`${url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

async function loggedIn(nodes: TestTessera[]) {
  const [first] = nodes as [TestTessera];
  const client = await createClient(first);
  const user = await createUser(first);
  const config = await discover(first.issuer, client.client_id, client.client_secret);
  const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
  return { client, tokens: { refresh: tokens.refresh_token!, access: tokens.access_token } };
}

describe.each([
  ['PostgreSQL only, one node', false, 1],
  ['PostgreSQL only, two nodes', false, 2],
  ['Redis, one node', true, 1],
  ['Redis, two nodes', true, 2],
] as const)('refresh token rotation with %s', (_name, redis, count) => {
  const started: TestTessera[] = [];
  afterAll(async () => {
    for (const node of started) await node.stop();
  });
  const nodes = async () => {
    if (started.length === 0) started.push(...(await startNodes(redis, count)));
    return started;
  };

  it('lets exactly one of 50 concurrent refreshes with one token win; the others get invalid_grant and the grant is revoked', async () => {
    const all = await nodes();
    const { client, tokens } = await loggedIn(all);
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_REFRESHES }, (_, index) => refresh(all[index % all.length]!.url, client, tokens.refresh)),
    );
    expect(answers.filter(passedSingleUse)).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 200 || (answer.status === 400 && answer.body.error === 'invalid_grant'))).toBe(true);

    // The losers presented a used token: the whole grant is gone, the winner's new tokens with it, on every node.
    const winner = answers.find((answer) => answer.status === 200);
    for (const node of all) {
      expect(await userinfoStatus(node.url, tokens.access)).toBe(401);
      if (!winner) continue;
      expect((await refresh(node.url, client, winner.body.refresh_token!)).body.error).toBe('invalid_grant');
      expect(await userinfoStatus(node.url, winner.body.access_token!)).toBe(401);
    }
  });

  it('revokes the grant when a rotated refresh token is used again, on every node', async () => {
    const all = await nodes();
    const { client, tokens } = await loggedIn(all);
    const rotated = await refresh(all[0]!.url, client, tokens.refresh);
    expect(rotated.status).toBe(200);
    const last = all[all.length - 1]!;
    expect(await userinfoStatus(last.url, rotated.body.access_token!)).toBe(200);

    const reused = await refresh(last.url, client, tokens.refresh);
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    for (const node of all) {
      expect((await refresh(node.url, client, rotated.body.refresh_token!)).body.error).toBe('invalid_grant');
      expect(await userinfoStatus(node.url, rotated.body.access_token!)).toBe(401);
    }
  });

  /** A refresh token the first node wrote (rotating the login's), and the last node, which may be another. */
  async function rotatedOnFirstNode() {
    const all = await nodes();
    const { client, tokens } = await loggedIn(all);
    const rotated = (await refresh(all[0]!.url, client, tokens.refresh)).body.refresh_token!;
    return { all, client, rotated, last: all[all.length - 1]! };
  }

  it('introspects a refresh token spent on one node as spent on every node', async () => {
    const { all, client, rotated, last } = await rotatedOnFirstNode();
    const next = await refresh(last.url, client, rotated);
    expect(next.status).toBe(200);
    for (const node of all) {
      expect(await refreshTokenActive(node.url, client, rotated)).toBe(false);
      expect(await refreshTokenActive(node.url, client, next.body.refresh_token!)).toBe(true);
    }
  });

  it('yields no token from a refresh token revoked on another node', async () => {
    const { all, client, rotated, last } = await rotatedOnFirstNode();
    expect(await revokeRefreshToken(last.url, client, rotated)).toBe(200);
    for (const node of all) {
      const answer = await refresh(node.url, client, rotated);
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(answer.body).not.toHaveProperty('access_token');
    }
  });

  it('lets exactly one of 50 concurrent redemptions of one authorization code win, and revokes what it issued', async () => {
    const all = await nodes();
    const [first] = all as [TestTessera];
    const client = await createClient(first);
    const user = await createUser(first);
    const config = await discover(first.issuer, client.client_id, client.client_secret);
    const { page, browser, codeVerifier } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const done = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (isPage(done)) throw new Error('login did not complete');
    const code = new URL(done.redirect).searchParams.get('code')!;

    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_REFRESHES }, (_, index) =>
        tokenRequest(all[index % all.length]!.url, client, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: codeVerifier,
        }),
      ),
    );
    expect(answers.filter(passedSingleUse)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 200).every((answer) => answer.body.error === 'invalid_grant')).toBe(true);
    const winner = answers.find((answer) => answer.status === 200);
    if (winner) for (const node of all) expect(await userinfoStatus(node.url, winner.body.access_token!)).toBe(401);
  });
});

describe('refresh token rotation with a reuse interval (REFRESH_TOKEN_REUSE_INTERVAL)', () => {
  const REUSE_INTERVAL_SECONDS = 5;
  let node: TestTessera;
  beforeAll(async () => {
    node = await startTestTessera({ env: { REFRESH_TOKEN_REUSE_INTERVAL: String(REUSE_INTERVAL_SECONDS) } });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('lets a used refresh token be used again within the interval, keeping the grant, and revokes the grant after it', async () => {
    const { client, tokens } = await loggedIn([node]);
    const firstUse = Date.now();
    const first = await refresh(node.url, client, tokens.refresh);
    const second = await refresh(node.url, client, tokens.refresh);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await userinfoStatus(node.url, first.body.access_token!)).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, firstUse + REUSE_INTERVAL_SECONDS * 1000 + 500 - Date.now()));
    expect((await refresh(node.url, client, tokens.refresh)).body.error).toBe('invalid_grant');
    expect((await refresh(node.url, client, second.body.refresh_token!)).body.error).toBe('invalid_grant');
    expect(await userinfoStatus(node.url, first.body.access_token!)).toBe(401);
  });
});
