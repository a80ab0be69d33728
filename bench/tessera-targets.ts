/**
 * The Tessera setups the benchmark can measure, each started in its own process with the
 * environment `npm start` would read: `embedded` (as `npm start` runs it: embedded PostgreSQL
 * in a fresh DATA_DIR, no Redis), `postgres` (a separate PostgreSQL passed as DATABASE_URL) and
 * `redis` (a separate PostgreSQL and a redis-server as REDIS_URL, the docker-compose shape).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../adapters/postgres/free-port.js';
import { createLogger } from '../server/logger.js';
import { TESSERA_NODE_FLAGS } from './compiled-servers.js';
import { startRedisServer } from './redis-server.js';
import { startScratchPostgres } from './scratch-postgres.js';
import { type ServerProcess, startServerProcess } from './server-host.js';

export const TESSERA_TARGET_NAMES = ['embedded', 'postgres', 'redis'] as const;
export type TesseraTargetName = (typeof TESSERA_TARGET_NAMES)[number];

export const TESSERA_TARGET_DESCRIPTIONS: Readonly<Record<TesseraTargetName, string>> = {
  embedded: 'as `npm start` runs it: embedded PostgreSQL, no Redis',
  postgres: 'external PostgreSQL (DATABASE_URL), no Redis',
  redis: 'external PostgreSQL and Redis (REDIS_URL), the docker-compose shape',
};

export function isTesseraTargetName(name: string): name is TesseraTargetName {
  return (TESSERA_TARGET_NAMES as readonly string[]).includes(name);
}

/** What every target sets: a free port and the admin client the machine-to-machine scenarios use. */
async function commonEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    ADMIN_CLIENT_ID: 'bench-admin-client',
    ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    // Set below only where the target has them: none may leak in from the caller's shell.
    DATABASE_URL: '',
    REDIS_URL: '',
    SEALING_KEY: '',
    SEALING_KEY_PREVIOUS: '',
    RULES_DIR: '',
  };
}

/** Starts the target's stores in this process, then Tessera in its own; stop() releases all of it. */
export async function startTesseraTarget(name: TesseraTargetName): Promise<ServerProcess> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const env = await commonEnv();
    if (name === 'embedded') {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-bench-data-'));
      stops.push(() => rm(dataDir, { recursive: true, force: true }));
      // The embedded cluster runs as an unprivileged user when we are root; it must reach its folder.
      await chmod(dataDir, 0o755);
      env['DATA_DIR'] = dataDir;
    } else {
      const database = await startScratchPostgres(createLogger('silent'));
      stops.push(() => database.stop());
      env['DATABASE_URL'] = database.url;
      env['SEALING_KEY'] = randomBytes(32).toString('base64');
    }
    if (name === 'redis') {
      const redis = await startRedisServer();
      stops.push(() => redis.stop());
      env['REDIS_URL'] = redis.url;
    }
    const server = await startServerProcess({ kind: 'tessera', name, env, nodeFlags: TESSERA_NODE_FLAGS });
    return {
      ...server,
      async stop() {
        try {
          await server.stop();
        } finally {
          await stopAll();
        }
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
