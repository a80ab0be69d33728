/**
 * Child process of bench/profile-hot.ts: runs one target (Tessera or the bare provider) in a
 * process of its own, so its CPU time, RSS and PostgreSQL statements are its alone. Answers
 * the parent's requests for a usage snapshot and starts or stops a CPU profile on demand.
 */

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { BaselineStore } from './baseline-provider.js';
import type { Target } from './target.js';

export interface Usage {
  /** User + system CPU of this process, microseconds. */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  /** Peak RSS of this process so far. */
  readonly maxRssBytes: number;
  /** Statements sent to PostgreSQL by this process so far. */
  readonly statements: number;
  /** Statements since the previous snapshot, by text. */
  readonly texts: Readonly<Record<string, number>>;
}

export type ServerRequest =
  | { readonly kind: 'usage' }
  | { readonly kind: 'profile-start' }
  | { readonly kind: 'profile-stop'; readonly file: string };

export type ServerMessage =
  | { readonly kind: 'ready'; readonly target: Omit<Target, 'stop'>; readonly usage: Usage }
  | { readonly kind: 'usage'; readonly usage: Usage }
  | { readonly kind: 'done' };

let statements = 0;
let texts: Record<string, number> = {};
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  statements += 1;
  const [first] = args;
  const text = (typeof first === 'string' ? first : ((first as { text?: string }).text ?? '?'))
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, "'…'")
    .slice(0, 110);
  texts[text] = (texts[text] ?? 0) + 1;
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const sendCommand = Redis.prototype.sendCommand as (...args: unknown[]) => unknown;
Redis.prototype.sendCommand = function countedCommand(this: Redis, ...args: unknown[]) {
  const name = (args[0] as { name?: string }).name ?? '?';
  texts[`redis ${name}`] = (texts[`redis ${name}`] ?? 0) + 1;
  return sendCommand.apply(this, args);
} as typeof Redis.prototype.sendCommand;

function usage(): Usage {
  const { user, system } = process.cpuUsage();
  const since = texts;
  texts = {};
  return {
    cpuMicros: user + system,
    rssBytes: process.memoryUsage.rss(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    statements,
    texts: since,
  };
}

/** As bench/tessera-targets.ts starts one, with REDIS_URL passed on when the parent gives one. */
async function startTesseraTarget(redisUrl: string | undefined): Promise<Target> {
  // Imported here, so the bare provider's process loads none of Tessera.
  const [{ freePort }, { loadConfig }, { createLogger }, { startTessera }, { startScratchPostgres }, { seedBenchmark }] = await Promise.all(
    [
      import('../adapters/postgres/free-port.js'),
      import('../server/config.js'),
      import('../server/logger.js'),
      import('../server/tessera.js'),
      import('./scratch-postgres.js'),
      import('./seed.js'),
    ],
  );
  const logger = createLogger('silent');
  const database = await startScratchPostgres(logger);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const machineClient = { clientId: 'bench-admin-client', clientSecret: randomBytes(32).toString('base64url') };
  const tessera = await startTessera(
    loadConfig({
      PORT: String(port),
      ISSUER: issuer,
      DATABASE_URL: database.url,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ADMIN_CLIENT_ID: machineClient.clientId,
      ADMIN_CLIENT_SECRET: machineClient.clientSecret,
      SEALING_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
    }),
    logger,
  );
  const seeded = await seedBenchmark(tessera, machineClient.clientId);
  return {
    name: 'tessera',
    issuer,
    machineClient,
    ...seeded,
    async stop() {
      try {
        await tessera.stop();
      } finally {
        await database.stop();
      }
    },
  };
}

const send = (message: ServerMessage) => process.send?.(message);

/** The bare provider over a scratch PostgreSQL, through the store `open` makes on it. */
async function startOverScratchPostgres(open: (url: string) => Promise<BaselineStore>): Promise<Target> {
  const [{ createLogger }, { startScratchPostgres }, { startBaselineOver }] = await Promise.all([
    import('../server/logger.js'),
    import('./scratch-postgres.js'),
    import('./baseline-provider.js'),
  ]);
  const database = await startScratchPostgres(createLogger('silent'));
  return startBaselineOver(await open(database.url), () => database.stop());
}

/** The bare provider over a scratch redis-server (its URL from the parent), through the plainest Redis adapter. */
async function startRedisBaseline(url: string): Promise<Target> {
  const [{ openBaselineRedisStore }, { startBaselineOver }] = await Promise.all([
    import('./baseline-redis-adapter.js'),
    import('./baseline-provider.js'),
  ]);
  return startBaselineOver(await openBaselineRedisStore(url));
}

const STARTERS = {
  tessera: () => startTesseraTarget(process.argv[3]),
  baseline: async () => (await import('./baseline-provider.js')).startBaselineProvider(),
  // The bare provider signing its API's tokens with ES256: how far the library itself goes with ES256.
  'baseline-es256': async () => (await import('./baseline-provider.js')).startBaselineProvider(undefined, 'ES256'),
  // The plainest durable adapter.
  'baseline-postgres': () =>
    startOverScratchPostgres(async (url) => (await import('./baseline-postgres-adapter.js')).openBaselinePostgresStore(url)),
  // Reading from memory, writing to PostgreSQL: the floor of a durable provider.
  'baseline-floor': () =>
    startOverScratchPostgres(async (url) => (await import('./baseline-floor-adapter.js')).openBaselineFloorStore(url)),
  'baseline-redis': () => {
    const url = process.argv[3];
    if (!url) throw new Error('baseline-redis needs the URL of its redis-server');
    return startRedisBaseline(url);
  },
} satisfies Record<string, () => Promise<Target>>;

/** What the parent asks this process to run (its first argument). */
export type ServerKind = keyof typeof STARTERS;

const kind = process.argv[2];
if (!kind || !(kind in STARTERS)) throw new Error(`profile-server runs one of ${Object.keys(STARTERS).join(', ')}, not ${kind}`);
const target = await STARTERS[kind as ServerKind]();
const session = new Session();
session.connect();

process.on('message', (request: ServerRequest) => {
  void (async () => {
    if (request.kind === 'profile-start') {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      send({ kind: 'done' });
    } else if (request.kind === 'profile-stop') {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(request.file, JSON.stringify(profile));
      send({ kind: 'done' });
    } else {
      send({ kind: 'usage', usage: usage() });
    }
  })();
});
process.once('disconnect', () => {
  void target.stop().finally(() => process.exit(0));
});

const { stop: _stop, ...described } = target;
send({ kind: 'ready', target: described, usage: usage() });
