/**
 * The issue's "Done when": a script written for the official `auth0` package's ManagementClient
 * runs against Tessera with only its domain and credentials changed. The client below is built
 * exactly as Auth0's documentation builds it; Tessera sits behind a local TLS terminator, since the
 * SDK only speaks https to `{domain}`, and fetches its own token at `https://{domain}/oauth/token`.
 */
import { ManagementClient, ManagementError } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../support/management-client.js';
import { startTesseraBehindTls } from '../../support/tls-terminator.js';

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

describe('the unchanged auth0 ManagementClient against Tessera', () => {
  let tessera: Awaited<ReturnType<typeof startTesseraBehindTls>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let credentials: { clientId: string; clientSecret: string };
  let management: ManagementClient;

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
  });
  afterAll(() => tessera?.stop());

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
});
