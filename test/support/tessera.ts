/**
 * Starts a real Tessera for a test: its own database, a free port, the issuer on that port.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { loadConfig } from '../../server/config.js';
import { createLogger, type Logger } from '../../server/logger.js';
import { PACKAGE_ROOT } from '../../server/package-root.js';
import { startTessera, type Tessera } from '../../server/tessera.js';
import { createTestDatabase } from './databases.js';

export interface TestTesseraOptions {
  databaseUrl?: string;
  port?: number;
  /** true for the shared redis-server, or the URL of a test's own. */
  redis?: boolean | string;
  env?: Record<string, string>;
  logger?: Logger;
}

/** Every test Tessera seals with this key unless its env says otherwise (`SEALING_KEY: ''` for none). */
export const TEST_SEALING_KEY = Buffer.alloc(32, 7).toString('base64');

/** CODE_DIR of test Tesseras, unless a test sets its own: the custom scripts and mappers of test/fixtures. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures', import.meta.url));

const TEST_DATA_DIR = path.join(PACKAGE_ROOT, '.test-data', 'tessera');

export const ADMIN = { clientId: 'admin-client', clientSecret: 'admin-secret-that-is-long-enough-0123456789' };

/** The configuration of a test Tessera: its own database unless given one, the issuer on a free port. */
export async function testConfig(options: TestTesseraOptions = {}) {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    ISSUER: issuer,
    DATABASE_URL: databaseUrl,
    ADMIN_CLIENT_ID: ADMIN.clientId,
    ADMIN_CLIENT_SECRET: ADMIN.clientSecret,
    SEALING_KEY: TEST_SEALING_KEY,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    CODE_DIR: FIXTURES_DIR,
    // Not the checkout's ./.data: what a test Tessera writes there (its mail files) stays out of `npm start`'s.
    DATA_DIR: TEST_DATA_DIR,
    ...(options.redis ? { REDIS_URL: options.redis === true ? inject('redisUrl') : options.redis } : {}),
    ...options.env,
  });
  return { config, issuer, databaseUrl };
}

export async function startTestTessera(options: TestTesseraOptions = {}): Promise<Tessera & { issuer: string; databaseUrl: string }> {
  const { config, issuer, databaseUrl } = await testConfig(options);
  const tessera = await startTessera(config, options.logger ?? createLogger(config.logLevel));
  return { ...tessera, issuer, databaseUrl };
}

export type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

/** One node, or two sharing the database (and Redis, if any) and answering for the same issuer. */
export async function startNodes(redis: boolean, count: 1 | 2): Promise<TestTessera[]> {
  const port = await freePort();
  const first = await startTestTessera({ port, redis });
  if (count === 1) return [first];
  const second = await startTestTessera({ databaseUrl: first.databaseUrl, redis, env: { ISSUER: first.issuer } });
  return [first, second];
}
