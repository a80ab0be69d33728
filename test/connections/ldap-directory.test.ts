import type * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import type { CredentialStrategy } from '../../server/connections/strategy.js';
import { isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { PEOPLE_DN, personDn, READER, type Slapd, startSlapd } from '../support/slapd.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

/** The connections to the directory behind an ldap connection: the service account's pool, timeouts, failures. */
describe('the directory behind an ldap connection', () => {
  const logLines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  let slapd: Slapd;
  let tessera: Awaited<ReturnType<typeof startTestTessera>> | undefined;
  let admin: ReturnType<typeof managementClient>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;

  const directory = () => ({ url: slapd.url, search_base: PEOPLE_DN, bind_dn: READER.dn, bind_password: READER.password });

  async function createConnection(name: string, options: Record<string, unknown> = {}) {
    return admin.connections.create.mutate({
      name,
      strategy: 'ldap',
      options: { ...directory(), ...options },
      enabled_clients: [client.client_id],
    });
  }

  async function loginAs(connection: string, uid: string) {
    const { tokens } = await login(config, { scope: 'openid', username: uid, password: `${uid}-password`, extraParams: { connection } });
    return tokens.claims()?.sub;
  }

  async function refusedLogin(connection: string, uid: string) {
    const logged = logLines.length;
    const { page, browser } = await openLoginPage(config, 'openid', { connection });
    if (!isPage(page)) throw new Error(`expected the login page, got a redirect to ${page.redirect}`);
    const after = await browser.submit(page, { username: uid, password: `${uid}-password` }, REDIRECT_URI);
    if (!isPage(after)) throw new Error(`the login went through: ${after.redirect}`);
    return { status: after.status, error: after.document.querySelector('.error')?.text, logs: logLines.slice(logged) };
  }

  const serviceConnections = () => slapd.connectionsBoundAs(READER.dn);
  const userConnections = async () =>
    (await Promise.all(['jane', 'alex', 'sam', 'kim'].map((uid) => slapd.connectionsBoundAs(personDn(uid))))).flat();

  beforeAll(async () => {
    slapd = await startSlapd();
    const sink = logSink(logLines);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink) });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    slapd?.resume();
    await tessera?.stop();
    await slapd?.stop();
  });

  it('searches over one pooled service connection reused by every login, and binds users on connections it closes', async () => {
    await createConnection('Pooled', { pool_size: 1 });
    expect(await loginAs('Pooled', 'jane')).toBe('ldap|Pooled|jane');
    const [pooled, ...others] = await serviceConnections();
    expect(others).toEqual([]);

    expect(await loginAs('Pooled', 'alex')).toBe('ldap|Pooled|alex');
    const concurrent = await Promise.all(['jane', 'sam', 'kim'].map((uid) => loginAs('Pooled', uid)));
    expect(concurrent).toEqual(['ldap|Pooled|jane', 'ldap|Pooled|sam', 'ldap|Pooled|kim']);
    expect(await serviceConnections()).toEqual([pooled]);
    await waitFor(async () => (await userConnections()).length === 0, 10_000);
  });

  it('makes a login nobody has cost the directory a bind, as a wrong password does, so its timing tells nothing', async () => {
    await createConnection('Bind-Count');
    const connection = await tessera!.services.connections.findByName('Bind-Count');
    const strategy = tessera!.services.strategies.get('ldap') as CredentialStrategy;
    const bindsFor = async (login: string, password: string) => {
      const before = await slapd.bindsCompleted();
      await expect(strategy.authenticate(connection!, login, password)).rejects.toThrow('Wrong email, username or password.');
      return (await slapd.bindsCompleted()) - before;
    };
    // The first login also binds the pool's service connection.
    await bindsFor('jane', 'warming-up-the-pool');
    const wrongPassword = await bindsFor('jane', 'not-her-password');
    expect(await bindsFor('nobody-here', 'any-password')).toBe(wrongPassword);
  });

  it('opens up to pool_size service connections for concurrent logins, never more', async () => {
    await createConnection('Pooled-Three', { pool_size: 3, bind_dn: READER.dn });
    const before = await serviceConnections();
    for (let round = 0; round < 3; round += 1) {
      const subs = await Promise.all(['jane', 'alex', 'sam', 'kim', 'jane', 'alex'].map((uid) => loginAs('Pooled-Three', uid)));
      expect(subs.every((sub) => sub?.startsWith('ldap|Pooled-Three|'))).toBe(true);
    }
    const opened = (await serviceConnections()).filter((name) => !before.includes(name));
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(opened.length).toBeLessThanOrEqual(3);
  });

  it('fails the login with "the directory did not answer in time" when the directory stops answering, and recovers with a new connection', async () => {
    await createConnection('Stalling', { timeout_ms: 2_000, pool_size: 1 });
    await createConnection('Stalling-Cold', { timeout_ms: 2_000, pool_size: 1 });
    const others = await serviceConnections();
    expect(await loginAs('Stalling', 'jane')).toBe('ldap|Stalling|jane');
    const [stalled] = (await serviceConnections()).filter((name) => !others.includes(name));
    expect(stalled).toBeDefined();

    slapd.pause();
    try {
      for (const connection of ['Stalling', 'Stalling-Cold']) {
        const { status, error, logs } = await refusedLogin(connection, 'alex');
        expect(status).toBe(502);
        expect(error).toBe('the directory did not answer in time');
        expect(logs).toContainEqual(expect.objectContaining({ msg: 'login failed', connection, code: 'auth.upstream_failed' }));
      }
    } finally {
      slapd.resume();
    }

    expect(await loginAs('Stalling', 'alex')).toBe('ldap|Stalling|alex');
    expect(await loginAs('Stalling-Cold', 'alex')).toBe('ldap|Stalling-Cold|alex');
    await waitFor(async () => !(await serviceConnections()).includes(stalled!), 10_000);
  });

  it('fails the login with "the directory could not be reached" when nothing listens at its URL', async () => {
    await createConnection('Unreachable', { url: `ldap://127.0.0.1:${await freePort()}` });
    const { status, error, logs } = await refusedLogin('Unreachable', 'jane');
    expect(status).toBe(502);
    expect(error).toBe('the directory could not be reached');
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'directory failed a login', connection: 'Unreachable', step: 'service bind' }),
    );
  });

  it('tells a refused service account from a wrong user password, and uses new credentials as soon as the options change', async () => {
    const { id } = await createConnection('Rotated', { bind_password: 'outdated-secret' });
    const { status, error, logs } = await refusedLogin('Rotated', 'jane');
    expect(status).toBe(502);
    expect(error).toBe("the directory refused the connection's service account");
    expect(JSON.stringify(logs)).not.toContain('outdated-secret');

    await admin.connections.update.mutate({ id, options: directory() });
    expect(await loginAs('Rotated', 'jane')).toBe('ldap|Rotated|jane');
  });

  it('says so when the search base does not exist', async () => {
    await createConnection('Wrong-Base', { search_base: 'ou=staff,dc=example,dc=org' });
    const { status, error } = await refusedLogin('Wrong-Base', 'jane');
    expect(status).toBe(502);
    expect(error).toBe("the directory has no entry at the connection's search base");
  });

  it('closes its service connections when Tessera stops', async () => {
    expect((await serviceConnections()).length).toBeGreaterThan(0);
    await tessera?.stop();
    tessera = undefined;
    await waitFor(async () => (await serviceConnections()).length === 0, 10_000);
  });
});
