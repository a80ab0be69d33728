/**
 * Loads SEARCH_USERS fake users (default 1,000,000) and their identities over COPY into a
 * fresh database, then builds the search indexes with the real migration and analyzes.
 * Alone: `DATABASE_URL=postgres://… npx tsx bench/search/seed.ts` (any database of the server).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase } from '../../adapters/sequelize/database.js';
import * as searchIndexes from '../../adapters/sequelize/migrations/0002-user-search-indexes.js';
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

async function recreateDatabase(serverUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DATABASE}`);
    // Index builds over a million rows sort in memory rather than in temporary files.
    await admin.query(`ALTER DATABASE ${BENCH_DATABASE} SET maintenance_work_mem = '512MB'`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export async function seedSearchDatabase(serverUrl: string, count: number, progress: (message: string) => void): Promise<SeedResult> {
  const url = await recreateDatabase(serverUrl);
  const database = await openDatabase(url, createLogger('silent'));
  const context = database.sequelize.getQueryInterface();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await database.models.Connection.bulkCreate(CONNECTIONS.map(({ id, name, strategy }) => ({ id, name, strategy })));
    // Built once over the loaded rows, which is far faster than maintained row by row.
    await searchIndexes.down({ name: '0002-user-search-indexes', context });

    const loadStart = performance.now();
    progress(`copying ${count.toLocaleString('en')} users`);
    await copy(client, `COPY users (${USER_COLUMNS}) FROM STDIN`, chunks(count, userLine));
    progress('copying their identities');
    await copy(client, `COPY identities (${IDENTITY_COLUMNS}) FROM STDIN`, chunks(count, identityLines));
    const loadSeconds = seconds(loadStart);

    const indexStart = performance.now();
    progress(`loaded in ${loadSeconds} s; building the search indexes (migration 0002)`);
    await searchIndexes.up({ name: '0002-user-search-indexes', context });
    await client.query('VACUUM (ANALYZE) users, identities');
    const indexSeconds = seconds(indexStart);
    progress(`indexed and analyzed in ${indexSeconds} s`);

    const { rows } = await client.query<{ identities: number }>('SELECT count(*)::int AS identities FROM identities');
    return { url, users: count, identities: rows[0]?.identities ?? 0, loadSeconds, indexSeconds };
  } finally {
    await client.end();
    await database.close();
  }
}

export function usersFromEnv(): number {
  const raw = process.env['SEARCH_USERS'];
  if (raw === undefined || raw === '') return DEFAULT_USERS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`SEARCH_USERS must be a positive integer, got "${raw}"`);
  return value;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server to create the benchmark database on');
  const result = await seedSearchDatabase(serverUrl, usersFromEnv(), (message) => process.stderr.write(`[seed] ${message}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
