import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../adapters/postgres/embedded.js';
import { freePort } from '../../adapters/postgres/free-port.js';
import { createLogger } from '../../server/logger.js';
import { spawnTessera } from '../support/spawn-tessera.js';

// Tests run as root, as in CI and in containers: the embedded PostgreSQL then runs as the
// system user "postgres", for whom a 0700 folder of root's is closed.
describe('an embedded PostgreSQL under a folder its system user cannot enter', () => {
  let parent: string;
  let dataDir: string;

  beforeAll(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'tessera-closed-'));
    await chmod(parent, 0o700);
    dataDir = path.join(parent, 'data');
  });
  afterAll(() => rm(parent, { recursive: true, force: true }));

  it('stops with exit code 1 and one line naming the folder and what to change', async () => {
    const { exited, output } = spawnTessera({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(await exited).toBe(1);
    const { stderr } = output();
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot enter ${parent} (mode 0700)`);
    expect(lines[0]).toContain(`chmod o+x ${parent}`);
    expect(stderr).not.toMatch(/Permission denied|\n\s+at /);
  });

  it('starts once the folder is opened as that line says', async () => {
    await chmod(parent, 0o701);
    const postgres = await startEmbeddedPostgres(dataDir, createLogger('silent'));
    await postgres.stop();
  }, 120_000);
});
