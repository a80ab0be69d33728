import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../adapters/postgres/free-port.js';
import { sessionHandle } from '../../../server/accounts/own-sessions.js';
import { signIn } from '../../support/account-signin.js';
import { Browser, isPage } from '../../support/browser.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../../support/relying-party.js';
import { waitFor } from '../../support/spawn-tessera.js';
import { startTestTessera } from '../../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

/** What a silent /authorize answers in this browser: a code, or the OAuth error. */
async function silently(config: Parameters<typeof openLoginPage>[0], browser: Browser) {
  const { page } = await openLoginPage(config, 'openid', { prompt: 'none' }, browser);
  if (isPage(page)) throw new Error(`prompt=none must answer with a redirect, got a ${page.status} page`);
  const answer = new URL(page.redirect).searchParams;
  return answer.get('code') ? 'code' : answer.get('error');
}

/** The value of the browser's session cookie, as the test sees it: the account page never does. */
function sessionCookie(browser: Browser): string {
  const pair = browser
    .cookieHeader()
    .split('; ')
    .find((cookie) => cookie.startsWith('_session='));
  if (!pair) throw new Error('the browser holds no session cookie');
  return pair.slice('_session='.length);
}

describe('ending a session or an application on one node, seen by the other (one PostgreSQL, one Redis)', () => {
  let nodeA: TestTessera;
  let nodeB: TestTessera;

  beforeAll(async () => {
    nodeA = await startTestTessera({ port: await freePort(), redis: true });
    nodeB = await startTestTessera({ databaseUrl: nodeA.databaseUrl, redis: true, env: { ISSUER: nodeA.issuer } });
  });
  afterAll(async () => {
    await nodeB?.stop();
    await nodeA?.stop();
  });

  it('names a session by a hash of its cookie, and once node B ends it, node A answers login_required', async () => {
    const client = await createClient(nodeA);
    const person = await createUser(nodeA);
    const config = await discover(nodeA.issuer, client.client_id, client.client_secret);
    const { browser } = await signIn(config, person);
    expect(await silently(config, browser)).toBe('code');
    const handle = sessionHandle(sessionCookie(browser));
    const userId = person.profile.user_id;
    expect((await nodeB.services.management.ownSessions.list(userId)).map(({ id }) => id)).toEqual([handle]);

    await nodeB.services.management.ownSessions.end(userId, handle);

    expect(await silently(config, browser)).toBe('login_required');
    expect(await nodeA.services.management.ownSessions.list(userId)).toEqual([]);
  });

  it("forgets on node A the grant node B revoked: a third-party client's silent /authorize needs consent again", async () => {
    const client = await createClient(nodeA, { is_first_party: false, client_name: 'Outside App' });
    const person = await createUser(nodeA);
    const config = await discover(nodeA.issuer, client.client_id, client.client_secret);
    const browser = new Browser();
    const { page } = await openLoginPage(config, 'openid', {}, browser);
    if (!isPage(page)) throw new Error('expected the login page');
    const consent = await browser.submit(page, { username: person.email, password: person.password }, REDIRECT_URI);
    if (!isPage(consent)) throw new Error('a third-party client must get a consent page');
    await browser.submit(consent, {}, REDIRECT_URI);
    // Node A now holds the grant in its memo.
    expect(await silently(config, browser)).toBe('code');

    await nodeB.services.management.ownSessions.revokeApplication(person.profile.user_id, client.client_id);

    // The change signal crosses Redis pub/sub; the memo would otherwise keep the grant for a minute.
    await waitFor(async () => (await silently(config, browser)) === 'consent_required', 2_000);
    expect(await nodeA.services.management.ownSessions.applications(person.profile.user_id)).toEqual([]);
  });
});

describe('ending a session or an application tells the clients that asked for back-channel logout', () => {
  let tessera: TestTessera;
  let receiver: Server;
  const logoutTokens: string[] = [];

  beforeAll(async () => {
    tessera = await startTestTessera();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) logoutTokens.push(token);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await tessera?.stop();
    receiver?.close();
  });

  async function listeningClient() {
    const { port } = receiver.address() as AddressInfo;
    const client = await createClient(tessera, {
      backchannel_logout_uri: `http://127.0.0.1:${port}/backchannel-logout`,
      backchannel_logout_session_required: true,
    });
    return { client, config: await discover(tessera.issuer, client.client_id, client.client_secret) };
  }

  const loggedOut = async (token: string | undefined, clientId: string) =>
    (
      await jwtVerify(token ?? '', createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`)), {
        issuer: tessera.issuer,
        audience: clientId,
      })
    ).payload;

  it.each([
    [
      'ending the session',
      (userId: string, handle: string, _clientId: string) => tessera.services.management.ownSessions.end(userId, handle),
    ],
    [
      "revoking the application's access",
      (userId: string, _handle: string, clientId: string) => tessera.services.management.ownSessions.revokeApplication(userId, clientId),
    ],
  ])('%s sends a logout token naming the session and makes its access token fail at /userinfo', async (_name, act) => {
    const { client, config } = await listeningClient();
    const person = await createUser(tessera);
    const { tokens, browser } = await signIn(config, person, { scope: 'openid offline_access' });
    const sid = tokens.claims()?.['sid'];
    expect(sid).toBeTruthy();
    logoutTokens.length = 0;

    await act(person.profile.user_id, sessionHandle(sessionCookie(browser)), client.client_id);

    expect(logoutTokens).toHaveLength(1);
    expect(await loggedOut(logoutTokens[0], client.client_id)).toMatchObject({
      sub: person.profile.user_id,
      sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    const userinfo = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
  });
});
