/**
 * Loads fake users (default 1,000,000) and their identities over COPY into a database of their
 * own, then builds the search indexes with the real migrations and analyzes; a complete load,
 * and indexes built from the same migration text, are reused when the database is kept.
 * Alone: `DATABASE_URL=postgres://… npx tsx bench/search/seed.ts [count]` (any database of the server).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryInterface } from 'sequelize';
import { startEmbeddedPostgres } from '../../adapters/postgres/embedded.js';
import { openDatabase } from '../../adapters/sequelize/database.js';
import * as userSearchIndexes from '../../adapters/sequelize/migrations/0002-user-search-indexes.js';
import * as metadataPrefixSearch from '../../adapters/sequelize/migrations/0007-metadata-prefix-search.js';
import { createLogger } from '../../server/logger.js';
import { CONNECTIONS, createFakeUsers, type FakeUser } from './fake-users.js';

export const BENCH_DATABASE = 'tessera_search_bench';
export const DEFAULT_USERS = 1_000_000;

export interface SeedResult {
  readonly url: string;
  readonly users: number;
  readonly identities: number;
  readonly loadSeconds: number;
  readonly indexSeconds: number;
}

/** The migrations that build search indexes: dropped before a load, built after it. */
const SEARCH_INDEX_MIGRATIONS = [
  { name: '0002-user-search-indexes', ...userSearchIndexes },
  { name: '0007-metadata-prefix-search', ...metadataPrefixSearch },
];

type Cell = string | number | boolean | null;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One line of COPY's text format. @see https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2 */
function line(cells: readonly Cell[]): string {
  return `${cells.map((cell) => (cell === null ? '\\N' : String(cell).replace(/[\\\t\n\r]/g, (char) => ESCAPES[char] ?? char))).join('\t')}\n`;
}

const USER_COLUMNS = `id, email, email_verified, username, phone_number, phone_verified, name, nickname, given_name,
  family_name, picture, locale, user_metadata, app_metadata, blocked, logins_count, last_login, last_ip, created_at, updated_at`;

function userLine(user: FakeUser): string {
  return line([
    user.id,
    user.email,
    user.emailVerified,
    user.username,
    user.phoneNumber,
    false,
    user.name,
    user.nickname,
    user.givenName,
    user.familyName,
    user.picture,
    user.locale,
    JSON.stringify(user.userMetadata),
    JSON.stringify(user.appMetadata),
    user.blocked,
    user.loginsCount,
    user.lastLogin?.toISOString() ?? null,
    user.lastIp,
    user.createdAt,
    user.updatedAt.toISOString(),
  ]);
}

// A database identity carries a password hash of the usual size, so rows weigh what real ones do.
const PASSWORD_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${'c'.repeat(22)}$${'h'.repeat(43)}`;
const IDENTITY_COLUMNS = 'user_id, connection_id, provider, external_id, is_social, profile_data, password_hash, created_at, updated_at';

function identityLines(user: FakeUser): string {
  return user.identities
    .map((identity) =>
      line([
        user.id,
        identity.connection.id,
        identity.connection.provider,
        identity.externalId,
        identity.connection.strategy !== 'database',
        JSON.stringify(identity.profileData),
        identity.connection.strategy === 'database' ? PASSWORD_HASH : null,
        user.createdAt,
        user.createdAt,
      ]),
    )
    .join('');
}

/** The generator is deterministic, so users and identities come from two passes over the same sequence. */
function* chunks(count: number, render: (user: FakeUser) => string): Generator<string> {
  const fakeUser = createFakeUsers(count);
  let chunk = '';
  for (let index = 0; index < count; index += 1) {
    chunk += render(fakeUser(index));
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function copy(client: pg.Client, sql: string, rows: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(rows), client.query(copyFrom(sql)));
}

/** One database per user count, so a kept cluster (SEARCH_BENCH_DIR) holds every size of the scale table. */
export const benchDatabase = (count: number) => `${BENCH_DATABASE}_${count}`;

async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Loaded {
  readonly identities: number;
  readonly loadSeconds: number;
}

/** What an earlier, complete load of this database recorded; a load cut short recorded nothing. */
async function earlierLoad(serverUrl: string, name: string, count: number): Promise<Loaded | undefined> {
  const exists = await admin(
    serverUrl,
    async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
  );
  if (!exists) return undefined;
  return admin(databaseUrl(serverUrl, name), async (client) => {
    const { rows } = await client
      .query<{ users: number; identities: number; load_seconds: number }>(
        `SELECT users, identities, load_seconds FROM ${SEED_TABLE} WHERE users = $1`,
        [count],
      )
      .catch(() => ({ rows: [] }));
    const row = rows[0];
    return row ? { identities: row.identities, loadSeconds: row.load_seconds } : undefined;
  });
}

async function recreateDatabase(serverUrl: string, name: string): Promise<void> {
  await admin(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
    // Index builds over millions of rows sort in memory rather than in temporary files.
    await client.query(`ALTER DATABASE ${name} SET maintenance_work_mem = '1GB'`);
  });
}

const SEED_TABLE = 'search_bench_seed';
const INDEX_TABLE = 'search_bench_indexes';

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

async function dropSearchIndexes(context: QueryInterface): Promise<void> {
  for (const migration of SEARCH_INDEX_MIGRATIONS) await migration.down({ name: migration.name, context });
}

async function load(url: string, count: number, progress: (message: string) => void): Promise<Loaded> {
  const database = await openDatabase(url, createLogger('silent'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await database.models.Connection.bulkCreate(CONNECTIONS.map(({ id, name, strategy }) => ({ id, name, strategy })));
    // Built once over the loaded rows, which is far faster than maintained row by row.
    await dropSearchIndexes(database.sequelize.getQueryInterface());
    const loadStart = performance.now();
    progress(`copying ${count.toLocaleString('en')} users`);
    await copy(client, `COPY users (${USER_COLUMNS}) FROM STDIN`, chunks(count, userLine));
    progress('copying their identities');
    await copy(client, `COPY identities (${IDENTITY_COLUMNS}) FROM STDIN`, chunks(count, identityLines));
    const loadSeconds = seconds(loadStart);
    const { rows } = await client.query<{ identities: number }>('SELECT count(*)::int AS identities FROM identities');
    const identities = rows[0]?.identities ?? 0;
    await client.query(`CREATE TABLE ${SEED_TABLE} (users int NOT NULL, identities int NOT NULL, load_seconds real NOT NULL)`);
    await client.query(`INSERT INTO ${SEED_TABLE} VALUES ($1, $2, $3)`, [count, identities, loadSeconds]);
    return { identities, loadSeconds };
  } finally {
    await client.end();
    await database.close();
  }
}

/** Loads `count` users into their own database unless a complete load of the same count is already there. */
export async function loadSearchDatabase(
  serverUrl: string,
  count: number,
  progress: (message: string) => void,
): Promise<{ url: string; loaded: Loaded }> {
  const name = benchDatabase(count);
  const url = databaseUrl(serverUrl, name);
  const earlier = await earlierLoad(serverUrl, name, count);
  if (earlier) {
    progress(`reusing the ${count.toLocaleString('en')} users loaded earlier in ${name}`);
    return { url, loaded: earlier };
  }
  await recreateDatabase(serverUrl, name);
  return { url, loaded: await load(url, count, progress) };
}

// The migrations' own text: an index built from other text is stale and is built again.
const INDEX_SOURCES = ['0002-user-search-indexes.ts', '0007-metadata-prefix-search.ts'].map((file) =>
  fileURLToPath(new URL(`../../adapters/sequelize/migrations/${file}`, import.meta.url)),
);

async function indexFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of INDEX_SOURCES) hash.update(await readFile(file));
  return hash.digest('hex');
}

/** The seconds the current search indexes took to build, when a kept database has them from this very migration text. */
async function builtIndexes(client: pg.Client, fingerprint: string): Promise<number | undefined> {
  const { rows } = await client
    .query<{ index_seconds: number }>(`SELECT index_seconds FROM ${INDEX_TABLE} WHERE fingerprint = $1`, [fingerprint])
    .catch(() => ({ rows: [] }));
  return rows[0]?.index_seconds;
}

/**
 * Builds the search indexes with the real migrations over a loaded database and analyzes,
 * unless a kept database already has them built from the same migration text (a build over ten
 * million users takes many minutes); returns the seconds the build took.
 */
export async function indexSearchDatabase(url: string, progress: (message: string) => void): Promise<number> {
  const database = await openDatabase(url, createLogger('silent'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const fingerprint = await indexFingerprint();
    const earlier = await builtIndexes(client, fingerprint);
    if (earlier !== undefined) {
      progress(`reusing the search indexes built earlier in ${earlier} s`);
      return earlier;
    }
    const context = database.sequelize.getQueryInterface();
    await client.query(`DROP TABLE IF EXISTS ${INDEX_TABLE}`);
    await dropSearchIndexes(context);
    const indexStart = performance.now();
    progress(`building the search indexes (${SEARCH_INDEX_MIGRATIONS.map((migration) => migration.name).join(', ')})`);
    for (const migration of SEARCH_INDEX_MIGRATIONS) await migration.up({ name: migration.name, context });
    await client.query('VACUUM (ANALYZE) users, identities');
    const indexSeconds = seconds(indexStart);
    await client.query(`CREATE TABLE ${INDEX_TABLE} (fingerprint text NOT NULL, index_seconds real NOT NULL)`);
    await client.query(`INSERT INTO ${INDEX_TABLE} VALUES ($1, $2)`, [fingerprint, indexSeconds]);
    progress(`indexed and analyzed in ${indexSeconds} s`);
    return indexSeconds;
  } finally {
    await client.end();
    await database.close();
  }
}

/**
 * Loads `count` users into their own database unless a complete load of the same count is
 * already there (the generator is deterministic, so it holds the same rows), then builds the
 * search indexes with the real migrations unless they are there too.
 */
export async function seedSearchDatabase(serverUrl: string, count: number, progress: (message: string) => void): Promise<SeedResult> {
  const { url, loaded } = await loadSearchDatabase(serverUrl, count, progress);
  const indexSeconds = await indexSearchDatabase(url, progress);
  return { url, users: count, identities: loaded.identities, loadSeconds: loaded.loadSeconds, indexSeconds };
}

/** User counts written as `100000,1_000_000,10000000`; none means DEFAULT_USERS. */
export function parseCounts(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return [DEFAULT_USERS];
  return raw.split(',').map((part) => {
    const value = Number(part.trim().replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`a user count must be a positive integer, got "${part}"`);
    return value;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server to create the benchmark database on');
  const [count = DEFAULT_USERS] = parseCounts(process.argv[2] ?? process.env['SEARCH_USERS']);
  const result = await seedSearchDatabase(serverUrl, count, (message) => process.stderr.write(`[seed] ${message}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Where a benchmark's PostgreSQL cluster lives: SEARCH_BENCH_DIR, kept with its loads for the next run, or a scratch folder. */
async function clusterDir(scratchPrefix: string): Promise<{ dir: string; keep: boolean }> {
  const kept = process.env['SEARCH_BENCH_DIR'];
  if (kept) {
    await mkdir(kept, { recursive: true });
    return { dir: kept, keep: true };
  }
  return { dir: await mkdtemp(path.join(tmpdir(), scratchPrefix)), keep: false };
}

/**
 * Starts a benchmark's own PostgreSQL in clusterDir(); `stop` stops it and removes a scratch
 * folder, as does Ctrl-C.
 */
export async function startBenchCluster(
  scratchPrefix: string,
  progress: (message: string) => void,
): Promise<{ url: string; stop(): Promise<void> }> {
  const { dir, keep } = await clusterDir(scratchPrefix);
  // The cluster runs as an unprivileged user when this runs as root; it must reach its folder.
  await chmod(dir, 0o755);
  progress(`starting ${keep ? 'the kept' : 'a scratch'} PostgreSQL in ${dir}`);
  const postgres = await startEmbeddedPostgres(dir, createLogger('warn'));
  const stop = async () => {
    await postgres.stop();
    if (!keep) await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  return { url: postgres.url, stop };
}
