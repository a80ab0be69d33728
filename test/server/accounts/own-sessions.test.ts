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
