/**
 * Secrets at rest under SEALING_KEY, read straight from PostgreSQL: nothing in clear, and no
 * key beside them. An install from before SEALING_KEY upgrades at start without losing a
 * client, a connection secret, an upstream token, a signing key, a cookie key or the SAML key;
 * SEALING_KEY_PREVIOUS rotates; a wrong or missing key stops start-up with one line.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, type JWK } from 'jose';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { openDatabase } from '../../adapters/sequelize/database.js';
import { createIdpTokensSealer } from '../../server/connections/idp-tokens.js';
import { createLogger } from '../../server/logger.js';
import type { SamlSigningKey } from '../../server/saml-idp/signing-key.js';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { rewriteAsLegacy } from '../support/legacy-sealing.js';
import { adminClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { certificateFromMetadata, formOf, SP_ACS_URL, SP_ENTITY_ID, serviceProvider } from '../support/saml-sp.js';
import { spawnTessera, waitFor } from '../support/spawn-tessera.js';
import { startTestTessera, TEST_SEALING_KEY } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

const KEY_A = Buffer.from(TEST_SEALING_KEY, 'base64');
const KEY_B = randomBytes(32);
const KEY_C = randomBytes(32);
const LEGACY_KEY = randomBytes(32);
const base64 = (key: Buffer) => key.toString('base64');

const OIDC = { issuer: 'https://idp.example.com', client_id: 'tessera', client_secret: `oidc-secret-${randomBytes(8).toString('hex')}` };
const LDAP = {
  url: 'ldap://127.0.0.1:9',
  search_base: 'ou=people,dc=example,dc=org',
  bind_dn: 'cn=reader,dc=example,dc=org',
  bind_password: `ldap-secret-${randomBytes(8).toString('hex')}`,
};
const DB_PASSWORD = `db-password-${randomBytes(8).toString('hex')}`;
const UPSTREAM = {
  access_token: `upstream-access-${randomBytes(8).toString('hex')}`,
  refresh_token: `upstream-refresh-${randomBytes(8).toString('hex')}`,
};

/** Every row that holds a secret, as PostgreSQL returns it. */
async function storedRows(databaseUrl: string): Promise<string> {
  const database = await openDatabase(databaseUrl, createLogger('silent'));
  try {
    const tables = [
      `SELECT * FROM oidc_payloads WHERE model = 'Client'`,
      'SELECT * FROM connections',
      'SELECT * FROM identities',
      'SELECT * FROM signing_keys',
      'SELECT * FROM secrets',
    ];
    const rows = await Promise.all(tables.map((sql) => database.models.sequelize.query(sql, { type: QueryTypes.SELECT })));
    return JSON.stringify(rows);
  } finally {
    await database.close();
  }
}

async function secretNames(databaseUrl: string): Promise<string[]> {
  const database = await openDatabase(databaseUrl, createLogger('silent'));
  try {
    return (await database.models.Secret.findAll({ order: [['name', 'ASC']] })).map((row) => row.name);
  } finally {
    await database.close();
  }
}

function page(visit: Page | { redirect: string }): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('secrets at rest under SEALING_KEY', () => {
  let tessera: TestTessera;
  let databaseUrl: string;
  let port: number;
  let client: Awaited<ReturnType<typeof createClient>>;
  let clearClient: Awaited<ReturnType<typeof createClient>>;
  let user: Awaited<ReturnType<typeof createUser>>;
  let samlClientId: string;
  let samlCertificate: string;
  let connectionIds: { oidc: string; ldap: string; custom: string };
  const customUserId = 'custom|legacy-db|42';
  const oidcUserId = 'oidc|upstream|sub-1';
  /** What the first start made, in clear, to look for afterwards. */
  let jwks: JWK[];
  let privateJwks: JWK[];
  let cookieKeys: string[];
  let samlKey: SamlSigningKey;

  const start = (key: Buffer, env: Record<string, string> = {}) =>
    startTestTessera({ databaseUrl, port, env: { SEALING_KEY: base64(key), ...env } });
  const publishedKeys = async () => ((await (await fetch(`${tessera.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;

  /** Every secret the install holds, in clear. */
  function clearSecrets(): string[] {
    const pemBody = samlKey.privateKeyPem.split('\n').slice(1, -2);
    return [
      client.client_secret,
      clearClient.client_secret,
      OIDC.client_secret,
      LDAP.bind_password,
      DB_PASSWORD,
      UPSTREAM.access_token,
      UPSTREAM.refresh_token,
      ...privateJwks.flatMap((jwk) => [jwk.d!, jwk.p!, jwk.q!].filter(Boolean)),
      ...cookieKeys,
      ...pemBody,
      'PRIVATE KEY',
    ];
  }

  async function loginWith(credentials: { client_id: string; client_secret: string }) {
    const config = await discover(tessera.issuer, credentials.client_id, credentials.client_secret);
    return (await login(config, { scope: 'openid', username: user.email, password: user.password })).tokens;
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    ({ databaseUrl } = tessera);
    port = Number(new URL(tessera.issuer).port);
    const admin = await adminClient(tessera.issuer);
    client = await createClient(tessera);
    clearClient = await createClient(tessera);
    user = await createUser(tessera);
    samlClientId = (
      await admin.clients.create.mutate({ name: 'Expense Reports', saml_addon: { audience: SP_ENTITY_ID, acs_url: SP_ACS_URL } })
    ).client_id;
    samlCertificate = certificateFromMetadata(await (await fetch(`${tessera.issuer}/samlp/metadata/${samlClientId}`)).text());

    const { connections, users } = tessera.services;
    const oidc = await admin.connections.create.mutate({ name: 'Upstream-oidc', strategy: 'oidc', options: OIDC });
    const ldap = await admin.connections.create.mutate({ name: 'Directory', strategy: 'ldap', options: LDAP });
    // Straight to the table: the test is about storage, not about where scripts may live.
    const custom = await connections.create({
      id: 'con_legacy_db',
      name: 'Legacy-db',
      strategy: 'custom',
      options: { script: 'legacy-db.mjs', configuration: { DB_HOST: 'db.internal', DB_PASSWORD } },
    });
    connectionIds = { oidc: oidc.id, ldap: ldap.id, custom: custom.id };
    await users.insertWithIdentity(
      { id: customUserId, email: 'member@example.com' },
      {
        connectionId: custom.id,
        provider: 'custom',
        externalId: 'legacy-db|42',
        isSocial: false,
        profileData: { email: 'member@example.com' },
        passwordHash: null,
      },
    );
    await users.insertWithIdentity(
      { id: oidcUserId, email: 'upstream@example.com' },
      {
        connectionId: oidc.id,
        provider: 'oidc',
        externalId: 'sub-1',
        isSocial: true,
        profileData: { email: 'upstream@example.com' },
        passwordHash: null,
        idpTokens: createIdpTokensSealer(KEY_A).seal(oidc.id, 'sub-1', UPSTREAM),
      },
    );

    jwks = await publishedKeys();
    privateJwks = (await tessera.services.keys.listSigningKeys()).map((row) => row.private_jwk as JWK);
    cookieKeys = (await tessera.services.keys.getSecret<string[]>('cookie_keys'))!;
    samlKey = (await tessera.services.keys.getSecret<SamlSigningKey>('saml_idp_signing_key'))!;
  });
  afterAll(() => tessera?.stop());

  it('keeps no clear client secret, connection secret, custom configuration, upstream token, private JWK, cookie key or SAML key in any row', async () => {
    expect(privateJwks.every((jwk) => typeof jwk.d === 'string')).toBe(true);
    expect(samlKey.privateKeyPem).toContain('PRIVATE KEY');
    const stored = await storedRows(databaseUrl);
    for (const secret of clearSecrets()) expect(stored).not.toContain(secret);
    expect(stored).not.toContain('"d":');
    expect(await secretNames(databaseUrl)).not.toContain('client_secret_key');
  });

  it('upgrades an install from before SEALING_KEY at start: everything still works, and no clear secret or stored key is left', async () => {
    await tessera.stop();
    const database = await openDatabase(databaseUrl, createLogger('silent'));
    try {
      await rewriteAsLegacy(database.models, KEY_A, LEGACY_KEY, [clearClient.client_id]);
    } finally {
      await database.close();
    }
    // The fixture is what the old code left: its key beside clear key material.
    const legacy = await storedRows(databaseUrl);
    for (const secret of [
      clearClient.client_secret,
      DB_PASSWORD,
      samlKey.certificatePem.split('\n')[1]!,
      privateJwks[0]!.d!,
      LEGACY_KEY.toString('base64url'),
    ]) {
      expect(legacy).toContain(secret);
    }

    tessera = await start(KEY_B);

    // Client secrets, sealed by the old key or in clear, and the signing keys the tokens verify with.
    for (const credentials of [client, clearClient]) {
      const tokens = await loginWith(credentials);
      expect(tokens.claims()?.sub).toBe(user.profile.user_id);
      expect(jwks.map((jwk) => jwk.kid)).toContain(decodeProtectedHeader(tokens.id_token!).kid);
    }
    expect(await publishedKeys()).toEqual(jwks);
    expect(await tessera.services.keys.getSecret('cookie_keys')).toEqual(cookieKeys);

    // Connection secrets as the strategies and scripts get them.
    const { connections, users } = tessera.services;
    expect((await connections.findById(connectionIds.oidc))?.options['client_secret']).toBe(OIDC.client_secret);
    expect((await connections.findById(connectionIds.ldap))?.options['bind_password']).toBe(LDAP.bind_password);
    expect((await connections.findById(connectionIds.custom))?.options['configuration']).toEqual({ DB_HOST: 'db.internal', DB_PASSWORD });
    expect((await users.findById(customUserId))?.identities[0]?.connection?.options['configuration']).toEqual({
      DB_HOST: 'db.internal',
      DB_PASSWORD,
    });

    // Upstream tokens, revealed over the management API.
    const admin = await adminClient(tessera.issuer);
    expect((await admin.users.get.query({ id: oidcUserId })).identities?.[0]).toMatchObject(UPSTREAM);

    // The SAML key: the same certificate in the metadata, and responses a service provider that imported it accepts.
    expect(certificateFromMetadata(await (await fetch(`${tessera.issuer}/samlp/metadata/${samlClientId}`)).text())).toBe(samlCertificate);
    const saml = serviceProvider({ ssoUrl: `${tessera.issuer}/samlp/${samlClientId}`, idpCert: samlCertificate });
    const browser = new Browser();
    const loginPage = page(await browser.navigate(await saml.getAuthorizeUrlAsync('', undefined, {})));
    const answer = page(await browser.submit(loginPage, { username: user.email, password: user.password }));
    const { profile } = await saml.validatePostResponseAsync(formOf(answer.html).fields);
    expect(profile?.nameID).toBe(user.profile.user_id);

    const stored = await storedRows(databaseUrl);
    for (const secret of [...clearSecrets(), LEGACY_KEY.toString('base64url')]) expect(stored).not.toContain(secret);
    expect(await secretNames(databaseUrl)).not.toContain('client_secret_key');
  });

  it('rotates to a new SEALING_KEY given the old one as SEALING_KEY_PREVIOUS, after which the old key alone no longer starts', async () => {
    await tessera.stop();
    const before = await storedRows(databaseUrl);
    tessera = await start(KEY_C, { SEALING_KEY_PREVIOUS: base64(KEY_B) });
    expect((await loginWith(client)).claims()?.sub).toBe(user.profile.user_id);
    expect(await publishedKeys()).toEqual(jwks);
    expect((await tessera.services.connections.findById(connectionIds.custom))?.options['configuration']).toEqual({
      DB_HOST: 'db.internal',
      DB_PASSWORD,
    });
    expect((await (await adminClient(tessera.issuer)).users.get.query({ id: oidcUserId })).identities?.[0]).toMatchObject(UPSTREAM);
    const after = await storedRows(databaseUrl);
    for (const secret of clearSecrets()) expect(after).not.toContain(secret);
    expect(after).not.toBe(before);
    await tessera.stop();

    // Starting again with the new key alone needs nothing more.
    tessera = await start(KEY_C);
    expect((await loginWith(clearClient)).claims()?.sub).toBe(user.profile.user_id);
    await tessera.stop();

    const stale = spawnTessera({ DATABASE_URL: databaseUrl, PORT: String(await freePort()), SEALING_KEY: base64(KEY_B) });
    expect(await stale.exited).toBe(1);
    const lines = stale.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tessera: invalid configuration: SEALING_KEY does not open the secrets in this database/);
    tessera = await start(KEY_C);
  }, 90_000);
});

describe('where the sealing key comes from', () => {
  it('refuses to start with DATABASE_URL but no SEALING_KEY, in one line saying how to make one', async () => {
    const { exited, output } = spawnTessera({ DATABASE_URL: 'postgres://tessera@127.0.0.1:1/tessera', SEALING_KEY: '' });
    expect(await exited).toBe(1);
    const lines = output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SEALING_KEY is required with DATABASE_URL');
    expect(lines[0]).toContain('openssl rand -base64 32');
  });

  it('makes a key file of mode 0600 in DATA_DIR for the embedded database, uses it again at the next start, and refuses another key', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-sealing-'));
    await chmod(dataDir, 0o755);
    const keyFile = path.join(dataDir, 'sealing-key');
    const run = async (env: Record<string, string> = {}) => {
      const port = await freePort();
      const spawned = spawnTessera({ DATA_DIR: dataDir, PORT: String(port), SEALING_KEY: '', ...env });
      return { spawned, port };
    };
    const serveThenStop = async () => {
      const { spawned, port } = await run();
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);
        spawned.child.kill('SIGTERM');
        expect(await spawned.exited).toBe(0);
      } finally {
        spawned.child.kill('SIGKILL');
      }
    };
    try {
      await serveThenStop();
      expect(existsSync(keyFile)).toBe(true);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      const key = await readFile(keyFile, 'utf8');
      expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);

      await serveThenStop();
      expect(await readFile(keyFile, 'utf8')).toBe(key);

      const { spawned } = await run({ SEALING_KEY: base64(randomBytes(32)) });
      expect(await spawned.exited).toBe(1);
      const lines = spawned.output().stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('SEALING_KEY does not open the secrets in this database');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
