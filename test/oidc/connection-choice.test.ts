import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { clientCredentialsToken, managementClient } from '../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('choosing a connection at login', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;
  let admin: ReturnType<typeof managementClient>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    const client = await createClient(tessera);
    const enabled = [client.client_id];
    await admin.connections.create.mutate({
      name: 'Corp-Directory',
      strategy: 'ldap',
      options: { url: 'ldap://127.0.0.1:9', search_base: 'ou=people,dc=example,dc=org' },
      enabled_clients: enabled,
    });
    await admin.connections.create.mutate({
      name: 'Partner-SSO',
      strategy: 'oidc',
      options: { issuer: 'http://127.0.0.1:9', client_id: 'tessera' },
      enabled_clients: enabled,
    });
    await admin.connections.create.mutate({
      name: 'Other-Apps-Only',
      strategy: 'oidc',
      options: { issuer: 'http://127.0.0.1:9', client_id: 'tessera' },
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  async function loginPage(extraParams: Record<string, string> = {}, browser = new Browser()): Promise<Page> {
    const { page } = await openLoginPage(config, 'openid', extraParams, browser);
    if (!isPage(page)) throw new Error(`expected a page, got a redirect to ${page.redirect}`);
    return page;
  }

  const formConnections = (page: Page) =>
    page.document.querySelectorAll('form input[name=connection]').map((input) => input.getAttribute('value'));
  const links = (page: Page) => page.document.querySelectorAll('a.connection').map((link) => link.text.trim());

  it('lists every enabled connection: a form for each password connection, database first, a link for each upstream one', async () => {
    const page = await loginPage();
    expect(formConnections(page)).toEqual(['Username-Password', 'Corp-Directory']);
    expect(page.document.querySelector('form input[name=username]')).not.toBeNull();
    expect(links(page)).toEqual(['Continue with Partner-SSO']);
  });

  it('shows only the named connection for connection=<name>', async () => {
    const page = await loginPage({ connection: 'Corp-Directory' });
    expect(formConnections(page)).toEqual(['Corp-Directory']);
    expect(links(page)).toEqual([]);
  });

  it('sends the browser straight on to a federated connection for connection=<name>, without a login page', async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      connection: 'Partner-SSO',
    });
    const browser = new Browser();
    let location = url.toString();
    for (let hop = 0; hop < 5 && !location.includes('/connection/'); hop += 1) {
      const response = await browser.request(location);
      expect(response.status).toBeGreaterThanOrEqual(300);
      location = new URL(response.headers.get('location') ?? '', location).toString();
    }
    expect(new URL(location).pathname).toMatch(/^\/interaction\/[^/]+\/connection\/Partner-SSO$/);
  });

  it.each(['No-Such-Connection', 'Other-Apps-Only'])(
    'refuses connection=%s, which this application may not use, with a page saying so',
    async (name) => {
      const page = await loginPage({ connection: name });
      expect(page.status).toBe(400);
      expect(page.html).toContain(`connection &quot;${name}&quot; is not enabled for this application`);
    },
  );

  it('refuses a form naming a connection the application may not use, and logs in through the one it names', async () => {
    const user = await createUser(tessera);
    const first = new Browser();
    const refused = await first.submit(
      await loginPage({}, first),
      { connection: 'Other-Apps-Only', username: user.email, password: user.password },
      REDIRECT_URI,
    );
    expect(isPage(refused) && refused.status).toBe(400);
    expect(isPage(refused) && refused.html).toContain('Connection &quot;Other-Apps-Only&quot; is not enabled for this application.');

    const browser = new Browser();
    const done = await browser.submit(
      await loginPage({}, browser),
      { connection: 'Username-Password', username: user.email, password: user.password },
      REDIRECT_URI,
    );
    expect(isPage(done)).toBe(false);
  });

  it("reads the application's connections once to show the login page and once to check a submitted form", async () => {
    const user = await createUser(tessera);
    const { connections } = tessera.services;
    const read = connections.listEnabledForClient;
    let reads = 0;
    connections.listEnabledForClient = (clientId) => {
      reads += 1;
      return read(clientId);
    };
    try {
      const browser = new Browser();
      const page = await loginPage({}, browser);
      expect(reads).toBe(1);
      const done = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
      expect(isPage(done)).toBe(false);
      expect(reads).toBe(2);
    } finally {
      connections.listEnabledForClient = read;
    }
  });
});
