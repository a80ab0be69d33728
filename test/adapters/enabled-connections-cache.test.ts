/**
 * Each node's copy of a client's connections: read once, emptied by any write through the
 * queries (after it commits), on the other nodes by a signal over Redis, and after its age.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheEnabledConnections } from '../../adapters/cache/enabled-connections-cache.js';
import { createConnectionQueries } from '../../adapters/queries/connections.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { createConnectionInput } from '../../server/connections/connection-schemas.js';
import { createOptionSecrets } from '../../server/connections/option-secrets.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera, TEST_SEALING_KEY } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

const names = (records: ReadonlyArray<{ name: string }>) => records.map((record) => record.name);

/** A second database connection, enabled for no client. */
async function extraConnection(tessera: TestTessera) {
  return tessera.services.management.connections.create(
    createConnectionInput.parse({ name: `extra-${randomBytes(3).toString('hex')}`, strategy: 'database' }),
  );
}

/** The queries without any node's copy in front, as the cache under test wraps them. */
const uncachedQueries = (tessera: TestTessera) =>
  createConnectionQueries(tessera.database.models, createOptionSecrets(Buffer.from(TEST_SEALING_KEY, 'base64')));

/** The connections the login page of `node` offers the client (nodes share one issuer, so the URL is the node's own). */
async function loginPageOffers(node: TestTessera, client: { client_id: string }) {
  const authorize = new URL('/auth', node.url);
  authorize.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  const page = await new Browser().navigate(authorize.toString(), REDIRECT_URI);
  if (!isPage(page)) throw new Error(`no login page: ${page.redirect}`);
  return page.document.querySelectorAll('input[name="connection"]').map((input) => input.getAttribute('value'));
}

describe("a node's copy of a client's connections", () => {
  let tessera: TestTessera;
  let other: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera({ redis: true });
    other = await startTestTessera({ redis: true, databaseUrl: tessera.databaseUrl, env: { ISSUER: tessera.issuer } });
  });
  afterAll(async () => {
    await other?.stop();
    await tessera?.stop();
  });

  // On a node of its own: the others hear each other's signals, which empty their copies at moments a test cannot choose.
  it('is read once, and read again after a write through the queries', async () => {
    const alone = await startTestTessera();
    try {
      await readOnceThenAfterWrites(alone);
    } finally {
      await alone.stop();
    }
  });

  async function readOnceThenAfterWrites(tessera: TestTessera) {
    const client = await createClient(tessera);
    const { connections } = tessera.services;
    expect(names(await connections.listEnabledForClient(client.client_id))).toEqual([DEFAULT_DATABASE_CONNECTION]);
    // Behind Tessera's back: the copy does not see it, which shows it was not read again.
    await tessera.database.sequelize.query('DELETE FROM client_connections WHERE client_id = $1', { bind: [client.client_id] });
    expect(names(await connections.listEnabledForClient(client.client_id))).toEqual([DEFAULT_DATABASE_CONNECTION]);

    const extra = await extraConnection(tessera);
    expect(names(await connections.listEnabledForClient(client.client_id))).toEqual([]);
    await tessera.services.management.connections.update(extra.id, { enabled_clients: [client.client_id] });
    expect(names(await connections.listEnabledForClient(client.client_id))).toEqual([extra.name]);
  }

  it("reaches the other node's login page at once when an operator enables a connection", async () => {
    const client = await createClient(tessera);
    expect(await loginPageOffers(other, client)).toEqual([DEFAULT_DATABASE_CONNECTION]);
    const extra = await extraConnection(tessera);
    await tessera.services.management.connections.update(extra.id, { enabled_clients: [client.client_id] });
    await expect.poll(async () => (await loginPageOffers(other, client)).sort()).toEqual([DEFAULT_DATABASE_CONNECTION, extra.name].sort());
    await tessera.services.management.clients.update(client.client_id, { connections: [extra.name] }, new Set(MANAGEMENT_SCOPES));
    await expect.poll(() => loginPageOffers(other, client)).toEqual([extra.name]);
  });

  it('does not keep what a read began before a write found', async () => {
    const client = await createClient(tessera);
    const real = uncachedQueries(tessera);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The real queries, with a read that finishes only when the test says.
    const slowRead = {
      ...real,
      async listEnabledForClient(clientId: string) {
        const records = await real.listEnabledForClient(clientId);
        await held;
        return records;
      },
    };
    const cached = cacheEnabledConnections(slowRead, { maxAgeMs: 60_000, announce: () => undefined });
    const reading = cached.listEnabledForClient(client.client_id);
    await cached.setEnabledForClient(client.client_id, []);
    release();
    expect(names(await reading)).toEqual([DEFAULT_DATABASE_CONNECTION]);
    expect(names(await cached.listEnabledForClient(client.client_id))).toEqual([]);
  });

  it('reads again once its copy is older than its age limit', async () => {
    const client = await createClient(tessera);
    let clock = 0;
    const cached = cacheEnabledConnections(uncachedQueries(tessera), { maxAgeMs: 1000, announce: () => undefined, now: () => clock });
    expect(names(await cached.listEnabledForClient(client.client_id))).toEqual([DEFAULT_DATABASE_CONNECTION]);
    await tessera.database.sequelize.query('DELETE FROM client_connections WHERE client_id = $1', { bind: [client.client_id] });
    clock = 999;
    expect(names(await cached.listEnabledForClient(client.client_id))).toEqual([DEFAULT_DATABASE_CONNECTION]);
    clock = 1000;
    expect(names(await cached.listEnabledForClient(client.client_id))).toEqual([]);
  });
});
