/**
 * The operator CLI, run as `npm run cli` runs it, against a running Tessera's database: it
 * creates clients and connections through the same management services as the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { runCli } from '../support/cli.js';
import { adminClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe('operator CLI', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;

  const cli = (...args: string[]) => runCli(tessera, args);
  const cliWith = (env: Record<string, string>, ...args: string[]) => runCli(tessera, args, env);

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it('stops with exit code 1 and one line naming the database when PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await cliWith(
      { DATABASE_URL: `postgres://tessera:secret@127.0.0.1:${port}/tessera` },
      'connection',
      'list',
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}/tessera is unreachable`));
    expect(stderr).not.toContain('secret');
  });

  it('creates a client under the chosen id with the defaults clients.create gives, enabled for every database connection', async () => {
    const { code, stdout } = await cli(
      'client',
      'create',
      '--name',
      'Console App',
      '--id',
      'console-app',
      '--redirect-uri',
      'http://127.0.0.1:9/cb',
    );
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { client_id: string; client_secret: string; connections: string[] };
    expect(printed).toEqual({ client_id: 'console-app', client_secret: expect.any(String), connections: ['Username-Password'] });
    expect(await admin.clients.get.query({ client_id: 'console-app' })).toMatchObject({
      name: 'Console App',
      redirect_uris: ['http://127.0.0.1:9/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      require_pkce: true,
      is_first_party: true,
      connections: ['Username-Password'],
    });
  });

  it('refuses a client naming an unknown connection, and stores none', async () => {
    const { code, stderr } = await cli('client', 'create', '--name', 'Lost App', '--id', 'lost-app', '--connection', 'Nowhere');
    expect(code).toBe(1);
    expect(stderr).toContain('unknown connection: Nowhere');
    await expect(admin.clients.get.query({ client_id: 'lost-app' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('creates a database connection with its password policy, shown with its defaults filled in', async () => {
    const { code, stdout } = await cli('connection', 'create', '--name', 'Staff', '--min-password-length', '12');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { id: string };
    expect(printed).toEqual({
      id: expect.any(String),
      name: 'Staff',
      strategy: 'database',
      options: { password_policy: { min_length: 12 }, requires_username: false, disable_signup: false },
    });
    expect(await admin.connections.get.query({ id: printed.id })).toMatchObject({
      name: 'Staff',
      strategy: 'database',
      enabled_clients: [],
    });
  });

  it('creates an administrator holding every management scope with user create --admin, after which no setup link is offered', async () => {
    expect(await tessera.services.firstAdministrator.offer()).toEqual(expect.any(String));
    const { code, stdout, stderr } = await cli(
      'user',
      'create',
      '--email',
      'ops@example.com',
      '--password',
      'a long admin password',
      '--admin',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { user_id: string; management_scopes: string[] };
    expect(printed.management_scopes).toEqual([...MANAGEMENT_SCOPES]);
    expect((await admin.users.get.query({ id: printed.user_id })).management_scopes).toEqual([...MANAGEMENT_SCOPES]);
    expect(await tessera.services.firstAdministrator.offer()).toBeUndefined();
  });

  it('creates an ordinary user without --admin', async () => {
    const { code, stdout } = await cli('user', 'create', '--email', 'plain@example.com', '--password', 'a long plain password');
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { management_scopes: string[] }).management_scopes).toEqual([]);
  });
});
