/**
 * `npm start` and the image run the sources compiled by `npm run build:server`, not through
 * tsx: that build must start, find the console's and the account page's bundles from where it
 * sits, run the example post-login rules in its sandbox worker (worker.js, no loader), and stop on SIGTERM.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { PACKAGE_ROOT } from '../../server/package-root.js';
import { createTestDatabase } from '../support/databases.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { type Spawned, spawnCompiledTessera, waitFor } from '../support/spawn-tessera.js';
import { ADMIN } from '../support/tessera.js';

const run = promisify(execFile);

describe('Tessera compiled as npm start runs it', () => {
  let outDir: string;
  let issuer: string;
  let tessera: Spawned;

  beforeAll(async () => {
    await mkdir(path.join(PACKAGE_ROOT, '.test-data'), { recursive: true });
    // Inside the package, as dist/ is, so the package root and node_modules are found from it.
    outDir = await mkdtemp(path.join(PACKAGE_ROOT, '.test-data', 'compiled-'));
    await run('npm', ['run', 'build:server', '--silent', '--', `--outdir=${outDir}`], { cwd: PACKAGE_ROOT });
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    tessera = spawnCompiledTessera(path.join(outDir, 'server', 'index.js'), {
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      ISSUER: issuer,
      RULES_DIR: path.join(PACKAGE_ROOT, 'examples', 'rules'),
      ADMIN_CLIENT_ID: ADMIN.clientId,
      ADMIN_CLIENT_SECRET: ADMIN.clientSecret,
    });
    await waitFor(async () => (await fetch(`${issuer}/healthz`)).ok, 60_000);
  }, 120_000);
  afterAll(async () => {
    if (tessera.child.exitCode === null) tessera.child.kill('SIGKILL');
    await rm(outDir, { recursive: true, force: true });
  });

  it('serves discovery, the console and the account page from the compiled build', async () => {
    expect((await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as object).toMatchObject({ issuer });
    for (const page of ['/admin/', '/account/']) {
      const response = await fetch(`${issuer}${page}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/<script type="module"[^>]* src="[^"]+\.js"/);
    }
  });

  it("logs a user in, the example rule's claim added in the compiled sandbox worker", async () => {
    const admin = await adminClient(issuer);
    const client = await admin.clients.create.mutate({ name: 'Compiled App', redirect_uris: [REDIRECT_URI] });
    const password = 'correct horse battery';
    const user = await admin.users.create.mutate({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'compiled@example.com',
      password,
      email_verified: true,
      app_metadata: { roles: ['editor'] },
    });
    const config = await discover(issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid', username: 'compiled@example.com', password });
    expect(tokens.claims()).toMatchObject({ sub: user.user_id, 'https://tessera.example/roles': ['editor'] });
  });

  it('stops cleanly on SIGTERM', async () => {
    tessera.child.kill('SIGTERM');
    expect(await tessera.exited).toBe(0);
    expect(tessera.output().stderr).toBe('');
  });
});
