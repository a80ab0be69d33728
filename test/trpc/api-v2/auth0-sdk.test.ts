/**
 * The issue's "Done when": a script written for the official `auth0` package's ManagementClient
 * runs against Tessera with only its domain and credentials changed. The client below is built
 * exactly as Auth0's documentation builds it; Tessera sits behind a local TLS terminator, since the
 * SDK only speaks https to `{domain}`, and fetches its own token at `https://{domain}/oauth/token`.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { hash } from '@node-rs/bcrypt';
import { type Management, ManagementClient, ManagementError } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../support/fixtures.js';
import { adminClient } from '../../support/management-client.js';
import { discover, login } from '../../support/relying-party.js';
import { startTesseraBehindTls } from '../../support/tls-terminator.js';

const unzip = promisify(gunzip);

/** What the script needs of the management API: a machine client's grant, as an operator would give it. */
const SCRIPT_SCOPES = [
  'read:users',
  'create:users',
  'update:users',
  'delete:users',
  'read:clients',
  'create:clients',
  'update:clients',
  'read:connections',
] as const;

const FINISHED = new Set(['completed', 'failed']);

describe('the unchanged auth0 ManagementClient against Tessera', () => {
  let tessera: Awaited<ReturnType<typeof startTesseraBehindTls>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let credentials: { clientId: string; clientSecret: string };
  let management: ManagementClient;
  let folder: string;

  beforeAll(async () => {
    tessera = await startTesseraBehindTls();
    admin = await adminClient(tessera.issuer);
    const machine = await admin.clients.create.mutate({
      name: 'Migrated Auth0 script',
      grant_types: ['client_credentials'],
      management_scopes: [...SCRIPT_SCOPES],
    });
    credentials = { clientId: machine.client_id, clientSecret: String(machine.client_secret) };
    management = new ManagementClient({ domain: tessera.domain, ...credentials });
    folder = await mkdtemp(path.join(tmpdir(), 'auth0-sdk-'));
  });
  afterAll(async () => {
    await tessera?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** Each `it` calls through the SDK the operations it is about, and sets up or checks the rest over tRPC. */
  const connectionId = async (name: string) => {
    const connection = (await admin.connections.list.query()).connections.find((candidate) => candidate.name === name);
    if (!connection) throw new Error(`no connection ${name}`);
    return connection.id;
  };

  /** Polls the job as scripts do, until it completes or fails. */
  const finishedJob = async (id: string) => {
    for (;;) {
      const job = await management.jobs.get(id);
      if (FINISHED.has(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const createUser = (email: string, extra: Partial<Management.CreateUserRequestContent> = {}) =>
    management.users.create({ connection: 'Username-Password', email, password: 'a long password for the sdk', ...extra });

  describe('its token', () => {
    it('is fetched by the SDK itself with client_credentials from https://{domain}/oauth/token, for $ISSUER/api/v2/', async () => {
      const user = await admin.users.create.mutate({
        connection: 'Username-Password',
        email: 'token@example.com',
        password: 'a long password',
      });
      const seen = await management.users.get(String(user.user_id));
      expect(seen.email).toBe('token@example.com');
    });

    it('is refused with the token endpoint’s invalid_client when the secret is wrong', async () => {
      const wrong = new ManagementClient({ domain: tessera.domain, clientId: credentials.clientId, clientSecret: 'not-the-secret' });
      const failure = await wrong.users.get('database|whoever').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ManagementError);
      expect((failure as ManagementError).message).toContain('token request failed');
      expect((failure as ManagementError).statusCode).toBe(401);
      expect((failure as ManagementError).body).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe('users', () => {
    it('creates a user and gets it back, whole or with only the fields asked', async () => {
      const created = await createUser('sdk-create@example.com', {
        given_name: 'Sam',
        user_metadata: { theme: 'dark' },
        app_metadata: { plan: 'free' },
        email_verified: true,
      });
      expect(created.user_id).toMatch(/\|/);
      expect(created).toMatchObject({
        email: 'sdk-create@example.com',
        email_verified: true,
        given_name: 'Sam',
        user_metadata: { theme: 'dark' },
        app_metadata: { plan: 'free' },
      });
      expect(created.identities?.[0]).toMatchObject({ connection: 'Username-Password', isSocial: false });
      expect(created).not.toHaveProperty('password');

      const id = String(created.user_id);
      expect(await management.users.get(id)).toMatchObject({ user_id: id, email: 'sdk-create@example.com' });
      expect(await management.users.get(id, { fields: 'email,user_metadata', include_fields: true })).toEqual({
        email: 'sdk-create@example.com',
        user_metadata: { theme: 'dark' },
      });
    });

    it('lists the users a q matches, with Auth0’s totals, sorted and paged', async () => {
      for (const [email, team] of [
        ['blue-b@example.com', 'blue'],
        ['blue-a@example.com', 'blue'],
        ['red-a@example.com', 'red'],
      ] as const) {
        await createUser(email, { user_metadata: { team } });
      }
      const page = await management.users.list({
        q: 'user_metadata.team:"blue"',
        search_engine: 'v3',
        include_totals: true,
        sort: 'email:1',
        page: 0,
        per_page: 10,
      });
      expect(page.data.map((user) => user.email)).toEqual(['blue-a@example.com', 'blue-b@example.com']);
      expect(page.response).toMatchObject({ start: 0, limit: 10, length: 2, total: 2 });

      const first = await management.users.list({ q: 'user_metadata.team:*', sort: 'email:1', per_page: 2 });
      expect(first.data.map((user) => user.email)).toEqual(['blue-a@example.com', 'blue-b@example.com']);
      expect(first.hasNextPage()).toBe(true);
      const second = await first.getNextPage();
      expect(second.data.map((user) => user.email)).toEqual(['red-a@example.com']);
    });

    it('merges metadata on update and deletes the keys set to null, as Auth0 does', async () => {
      const id = String(
        (
          await createUser('sdk-update@example.com', {
            user_metadata: { theme: 'dark', lang: 'en' },
            app_metadata: { plan: 'free', seats: 3 },
          })
        ).user_id,
      );
      const updated = await management.users.update(id, {
        given_name: 'Alex',
        user_metadata: { lang: null, tz: 'UTC' },
        app_metadata: { plan: 'pro' },
      });
      expect(updated.given_name).toBe('Alex');
      expect(updated.user_metadata).toEqual({ theme: 'dark', tz: 'UTC' });
      expect(updated.app_metadata).toEqual({ plan: 'pro', seats: 3 });
      expect((await management.users.get(id)).user_metadata).toEqual({ theme: 'dark', tz: 'UTC' });
    });

    it('finds a user by email', async () => {
      const id = String((await createUser('sdk-by-email@example.com')).user_id);
      const found = await management.users.listUsersByEmail({ email: 'sdk-by-email@example.com' });
      expect(found.map((user) => user.user_id)).toEqual([id]);
      expect(await management.users.listUsersByEmail({ email: 'nobody-at-all@example.com' })).toEqual([]);
    });

    it('links a second account under a first and unlinks it again', async () => {
      const primary = await createUser('sdk-primary@example.com');
      const secondary = await createUser('sdk-secondary@example.com');
      const primaryId = String(primary.user_id);
      const secondaryIdentity = secondary.identities?.[0];
      if (!secondaryIdentity?.provider || !secondaryIdentity.user_id) throw new Error('the secondary has no identity');

      const linked = await management.users.identities.link(primaryId, {
        provider: secondaryIdentity.provider,
        user_id: secondaryIdentity.user_id,
      });
      expect(linked.map((identity) => identity.user_id)).toEqual([primaryId.split('|')[1], secondaryIdentity.user_id]);
      expect((await management.users.get(primaryId)).identities).toHaveLength(2);

      const remaining = await management.users.identities.delete(primaryId, secondaryIdentity.provider, String(secondaryIdentity.user_id));
      expect(remaining.map((identity) => identity.user_id)).toEqual([primaryId.split('|')[1]]);
      expect((await management.users.get(String(secondary.user_id))).email).toBe('sdk-secondary@example.com');
    });

    it('deletes a user it created, after which the user is not found', async () => {
      const id = String((await createUser('sdk-created-deleted@example.com')).user_id);
      await management.users.delete(id);
      expect(await management.users.listUsersByEmail({ email: 'sdk-created-deleted@example.com' })).toEqual([]);
    });

    it('gets a user in Auth0’s shape and deletes it, after which it is inexistent_user', async () => {
      const created = await admin.users.create.mutate({
        connection: 'Username-Password',
        email: 'sdk-delete@example.com',
        password: 'a long password',
        user_metadata: { plan: 'gold' },
      });
      const id = String(created.user_id);
      const user = await management.users.get(id);
      expect(user).toMatchObject({ user_id: id, email: 'sdk-delete@example.com', email_verified: false, user_metadata: { plan: 'gold' } });
      expect(user.identities?.[0]).toMatchObject({ connection: 'Username-Password', user_id: id.split('|')[1] });

      await management.users.delete(id);
      const failure = await management.users.get(id).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ManagementError);
      expect((failure as ManagementError).statusCode).toBe(404);
      expect((failure as ManagementError).body).toMatchObject({ statusCode: 404, errorCode: 'inexistent_user' });
    });

    it('meets a scope its token lacks with 403 insufficient_scope', async () => {
      const narrow = await admin.clients.create.mutate({
        name: 'Clients-only script',
        grant_types: ['client_credentials'],
        management_scopes: ['read:clients'],
      });
      const limited = new ManagementClient({
        domain: tessera.domain,
        clientId: narrow.client_id,
        clientSecret: String(narrow.client_secret),
      });
      const failure = await limited.users.get('database|whoever').catch((error: unknown) => error);
      expect((failure as ManagementError).statusCode).toBe(403);
      expect((failure as ManagementError).body).toMatchObject({ errorCode: 'insufficient_scope' });
    });
  });

  describe('jobs', () => {
    it('imports an Auth0 bulk file with bcrypt hashes, reports the refused line, and the users sign in with their old passwords', async () => {
      const bcrypt2b = await hash('old password of ada', 10);
      // $2a$ and $2b$ hash alike for such passwords; Auth0 exports both.
      const bcrypt2a = (await hash('old password of bea', 10)).replace(/^\$2b\$/, '$2a$');
      const file = path.join(folder, 'auth0-users.json');
      await writeFile(
        file,
        JSON.stringify([
          {
            email: 'ada@imported.example',
            email_verified: true,
            given_name: 'Ada',
            user_metadata: { plan: 'gold' },
            app_metadata: { roles: ['admin'] },
            custom_password_hash: { algorithm: 'bcrypt', hash: { value: bcrypt2b } },
          },
          { email: 'bea@imported.example', email_verified: true, password_hash: bcrypt2a },
          { email: 'not an email', password_hash: bcrypt2a },
        ]),
      );
      const started = await management.jobs.usersImports.create({
        users: createReadStream(file),
        connection_id: await connectionId('Username-Password'),
        upsert: false,
        external_id: 'from-auth0',
        send_completion_email: false,
      });
      expect(started).toMatchObject({ type: 'users_import', external_id: 'from-auth0' });
      expect(['pending', 'processing', 'completed']).toContain(started.status);

      const job = await finishedJob(started.id);
      expect(job).toMatchObject({ status: 'completed', summary: { inserted: 2, updated: 0, failed: 1, total: 3 } });
      const errors = await management.jobs.errors.get(started.id);
      expect(errors).toEqual([
        expect.objectContaining({
          user: expect.objectContaining({ email: 'not an email' }),
          errors: [expect.objectContaining({ code: expect.any(String) })],
        }),
      ]);

      const [ada] = await admin.users.getByEmail.query({ email: 'ada@imported.example' });
      expect(ada).toMatchObject({
        given_name: 'Ada',
        email_verified: true,
        user_metadata: { plan: 'gold' },
        app_metadata: { roles: ['admin'] },
      });

      const web = await createClient(tessera);
      const config = await discover(tessera.issuer, web.client_id, web.client_secret);
      for (const [email, password] of [
        ['ada@imported.example', 'old password of ada'],
        ['bea@imported.example', 'old password of bea'],
      ] as const) {
        const { tokens } = await login(config, { scope: 'openid email', username: email, password });
        expect(tokens.claims()?.['email']).toBe(email);
      }
    });

    it('exports users as NDJSON, downloaded gzipped from the finished job’s location without a token', async () => {
      await admin.users.create.mutate({
        connection: 'Username-Password',
        email: 'sdk-export@example.com',
        password: 'a long password for the sdk',
        user_metadata: { plan: 'silver' },
      });
      const started = await management.jobs.usersExports.create({
        format: 'json',
        fields: [{ name: 'email' }, { name: 'user_metadata.plan', export_as: 'plan' }],
      });
      expect(started).toMatchObject({ type: 'users_export', format: 'json' });

      const job = await finishedJob(started.id);
      expect(job.status).toBe('completed');
      const location = String(job['location']);
      expect(location.startsWith(`${tessera.issuer}/`)).toBe(true);
      const download = await fetch(location);
      expect(download.status).toBe(200);
      const text = (await unzip(Buffer.from(await download.arrayBuffer()))).toString('utf8');
      const lines = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual({ email: 'sdk-export@example.com', plan: 'silver' });
      expect(text).not.toMatch(/\$2[aby]\$|\$argon2/);
    });

    it('reads a job and the lines it refused', async () => {
      const { jobs } = tessera.services.management;
      const job = await jobs.create({
        type: 'users_import',
        connectionId: 'con_default_database',
        options: { upsert: false, external_id: 'batch-7' },
        createdBy: credentials.clientId,
      });
      await jobs.addErrors(job.id, [
        { position: 0, user: { email: 'broken@example.com' }, errors: [{ code: 'INVALID_FORMAT', message: 'bad' }] },
      ]);
      await jobs.progress(job.id, { status: 'completed', percentageDone: 100, summary: { failed: 1, updated: 0, inserted: 0, total: 1 } });

      expect(await management.jobs.get(job.id)).toMatchObject({
        id: job.id,
        type: 'users_import',
        status: 'completed',
        connection_id: 'con_default_database',
        external_id: 'batch-7',
        summary: { failed: 1, total: 1 },
      });
      expect(await management.jobs.errors.get(job.id)).toEqual([
        { user: { email: 'broken@example.com' }, errors: [{ code: 'INVALID_FORMAT', message: 'bad' }] },
      ]);
    });

    it('answers a job that is not there with 404 inexistent_job', async () => {
      const failure = await management.jobs.get('job_nothere').catch((error: unknown) => error);
      expect((failure as ManagementError).statusCode).toBe(404);
      expect((failure as ManagementError).body).toMatchObject({ errorCode: 'inexistent_job' });
    });
  });

  describe('clients', () => {
    it('lists the clients, the script’s own among them', async () => {
      const page = await management.clients.list();
      expect(page.data.map((client) => client.client_id)).toContain(credentials.clientId);
    });

    it('creates a machine client and rotates its secret: the old one stops working, the new one works', async () => {
      const created = await management.clients.create({
        name: 'Nightly sync',
        app_type: 'non_interactive',
        grant_types: ['client_credentials'],
      });
      const clientId = String(created.client_id);
      const first = String(created.client_secret);
      expect(created).toMatchObject({ name: 'Nightly sync', grant_types: ['client_credentials'] });

      const rotated = await management.clients.rotateSecret(clientId);
      expect(rotated.client_id).toBe(clientId);
      expect(rotated.client_secret).toBeTruthy();
      expect(rotated.client_secret).not.toBe(first);

      const tokenWith = (secret: string) =>
        fetch(`${tessera.issuer}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: secret,
            audience: `${tessera.issuer}/api/v2/`,
          }),
        });
      expect((await tokenWith(first)).status).toBe(401);
      expect((await tokenWith(String(rotated.client_secret))).status).toBe(200);
    });
  });

  describe('connections', () => {
    it('lists the connections, the default database among them, and finds one by name', async () => {
      const all = await management.connections.list();
      expect(all.data.map((connection) => connection.name)).toContain('Username-Password');
      const byName = await management.connections.list({ name: 'Username-Password' });
      expect(byName.data).toEqual([expect.objectContaining({ name: 'Username-Password', id: expect.any(String) })]);
    });
  });
});
