/**
 * Times users.list's search shapes through createUserSearchQueries, the code the API runs:
 * p50/p95 per shape over varied values, and one EXPLAIN ANALYZE of each shape's id query.
 * Alone: `SEARCH_DATABASE_URL=postgres://…/tessera_search_bench npx tsx bench/search/queries.ts`.
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Sequelize } from 'sequelize';
import {
  type CheckpointRequest,
  createUserSearchQueries,
  type PageRequest,
  type UserSearchQueries,
} from '../../adapters/queries/user-search.js';
import { openDatabase } from '../../adapters/sequelize/database.js';
import { defineModels } from '../../adapters/sequelize/models.js';
import { createLogger } from '../../server/logger.js';
import { parseUserQuery } from '../../server/users/user-query.js';
import { CONNECTIONS, DAY_MS } from './fake-users.js';

export interface ShapeResult {
  readonly shape: string;
  readonly example: string;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanRows: number;
  /** The indexes the id query's plan uses; a sequential scan on users shows as "Seq Scan". */
  readonly access: string;
  readonly plan: string;
}

type Call =
  | { kind: 'page'; q?: string | undefined; request: Omit<PageRequest, 'query'> }
  | { kind: 'checkpoint'; q?: string | undefined; request: Omit<CheckpointRequest, 'query'> };

interface Shape {
  readonly name: string;
  readonly runs: number;
  call(run: number): Call;
}

interface Sample {
  email: string;
  given_name: string;
  team_id: string | null;
  crm_id: string;
  created_at: Date;
}

const PAGE = { page: 0, perPage: 50, includeTotals: false };
/** SEARCH_EXACT_TOTAL_LIMIT's default, as a server runs it. */
const SEARCH_OPTIONS = { exactTotalLimit: 10_000 };
const WARMUP_RUNS = 10;

const day = (date: Date, offsetDays = 0) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) + offsetDays * DAY_MS).toISOString().slice(0, 10);

function shapes(samples: readonly Sample[], endCursors: readonly string[]): Shape[] {
  const sample = (run: number) => samples[run % samples.length] as Sample;
  const withTeam = samples.filter((candidate) => candidate.team_id);
  const page = (q?: string): Call => ({ kind: 'page', q, request: PAGE });
  const checkpoint = (from?: string): Call => ({ kind: 'checkpoint', request: { take: 50, ...(from === undefined ? {} : { from }) } });
  return [
    // Every other run in capitals: the comparison must go through lower() and still hit the index.
    { name: 'exact email', runs: 200, call: (run) => page(`email:${run % 2 ? sample(run).email.toUpperCase() : sample(run).email}`) },
    { name: 'email prefix', runs: 200, call: (run) => page(`email:${sample(run).email.slice(0, 6)}*`) },
    // Typed almost to the end: a handful of matches, found through the prefix index.
    { name: 'email prefix, long', runs: 200, call: (run) => page(`email:${sample(run).email.split('@')[0]?.slice(0, -2)}*`) },
    { name: 'name prefix', runs: 200, call: (run) => page(`name:${sample(run).given_name.slice(0, 4)}*`) },
    { name: 'user_metadata key', runs: 200, call: (run) => page(`user_metadata.team_id:${withTeam[run % withTeam.length]?.team_id}`) },
    {
      name: 'created_at range (1 week)',
      runs: 200,
      call: (run) => page(`created_at:[${day(sample(run).created_at)} TO ${day(sample(run).created_at, 6)}]`),
    },
    {
      name: 'identities.connection',
      runs: 200,
      call: (run) => page(`identities.connection:${CONNECTIONS[run % CONNECTIONS.length]?.name}`),
    },
    {
      name: 'AND: metadata + month + NOT',
      runs: 200,
      call: (run) =>
        page(
          `user_metadata.plan:pro AND created_at:[${day(sample(run).created_at)} TO ${day(sample(run).created_at, 29)}] AND NOT blocked:true`,
        ),
    },
    { name: 'bare term', runs: 200, call: (run) => page(sample(run).given_name.slice(0, 5).toLowerCase()) },
    // The worst cases a user types: nothing matches, so no walk in created_at order can stop early.
    { name: 'bare term, no match', runs: 200, call: (run) => page(`qz${run}xv`) },
    // Names starting with J: a tenth of all users.
    { name: 'name prefix, a tenth', runs: 200, call: (run) => page(`name:${run % 2 ? 'J' : 'j'}*`) },
    { name: 'user_metadata prefix', runs: 200, call: (run) => page(`user_metadata.team_id:${withTeam[run % withTeam.length]?.team_id}*`) },
    {
      name: 'user_metadata prefix, few',
      runs: 200,
      call: (run) => page(`user_metadata.crm_id:${sample(run).crm_id.slice(0, -2)}*`),
    },
    { name: 'user_metadata prefix, none', runs: 200, call: (run) => page(`user_metadata.crm_id:CRM-0${run}*`) },
    {
      name: 'name prefix + include_totals',
      runs: 100,
      call: (run) => ({ kind: 'page', q: `name:${sample(run).given_name.slice(0, 1)}*`, request: { ...PAGE, includeTotals: true } }),
    },
    { name: 'page 0, no q', runs: 200, call: () => page() },
    { name: 'checkpoint, first page', runs: 200, call: () => checkpoint() },
    { name: 'checkpoint, last pages', runs: 200, call: (run) => checkpoint(endCursors[run % endCursors.length]) },
    // For the record, outside the 50 ms goal: totals count every match, offsets walk every row before them.
    { name: 'user_metadata, 2% of users', runs: 50, call: () => page('user_metadata.plan:enterprise') },
    { name: 'page 0 + include_totals', runs: 50, call: () => ({ kind: 'page', request: { ...PAGE, includeTotals: true } }) },
    { name: 'page at offset 500,000', runs: 20, call: () => ({ kind: 'page', request: { ...PAGE, page: 10_000 } }) },
    // A range inside metadata has no index (docs/management-api.md): it reads users in created_at order.
    {
      name: 'user_metadata range, few',
      runs: 20,
      call: (run) => page(`user_metadata.crm_id:[${sample(run).crm_id} TO ${sample(run).crm_id.slice(0, -2)}99]`),
    },
  ];
}

async function execute(search: UserSearchQueries, call: Call): Promise<number> {
  const query = call.q === undefined ? undefined : parseUserQuery(call.q);
  const filter = query === undefined ? {} : { query };
  const { rows } =
    call.kind === 'page'
      ? await search.searchPage({ ...call.request, ...filter })
      : await search.searchCheckpoint({ ...call.request, ...filter });
  return rows.length;
}

function percentile(sorted: readonly number[], fraction: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
  return Math.round(value * 10) / 10;
}

async function loadSamples(client: pg.Client, users: number): Promise<Sample[]> {
  // A repeatable sample: the same users, hence the same values, at every run.
  const percent = Math.min(100, (400 * 100) / users);
  const { rows } = await client.query<Sample>(
    `SELECT email, given_name, user_metadata->>'team_id' AS team_id, created_at,
            'CRM-' || (1000000 + (regexp_match(email, '(\\d+)@'))[1]::int) AS crm_id
       FROM users TABLESAMPLE BERNOULLI (${percent}) REPEATABLE (42) LIMIT 400`,
  );
  return rows;
}

/** Cursors into the last ~2,000 users, obtained the way a client would: a checkpoint call returns them. */
async function cursorsNearTheEnd(client: pg.Client, search: UserSearchQueries): Promise<string[]> {
  const { rows } = await client.query<{ at: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
       FROM users ORDER BY created_at DESC, id DESC LIMIT 40 OFFSET 60`,
  );
  const cursors: string[] = [];
  for (const { at } of rows) {
    const { next } = await search.searchCheckpoint({ query: parseUserQuery(`created_at:["${at}" TO *]`), take: 1 });
    if (next) cursors.push(next);
  }
  return cursors;
}

/** Runs the call once on a Sequelize that records its SQL, then explains the first statement: the id query. */
async function explain(url: string, client: pg.Client, call: Call): Promise<{ access: string; plan: string }> {
  const statements: Array<{ sql: string; bind: unknown[] }> = [];
  const recorder = new Sequelize(url, {
    dialect: 'postgres',
    logging: (sql, options) => {
      const bind = (options as { bind?: unknown[] } | undefined)?.bind ?? [];
      statements.push({ sql: sql.replace(/^Executing \([^)]*\): /, ''), bind });
    },
  });
  try {
    await execute(createUserSearchQueries(defineModels(recorder), SEARCH_OPTIONS), call);
  } finally {
    await recorder.close();
  }
  const idQuery = statements.find((statement) => statement.sql.startsWith('SELECT u.id'));
  if (!idQuery) throw new Error('no id query was recorded');
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${idQuery.sql}`, idQuery.bind);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  const indexes = [...new Set([...plan.matchAll(/Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)/g)].map((match) => match[1]))];
  const access = [...(plan.includes('Seq Scan on users') ? ['Seq Scan on users'] : []), ...indexes].join(', ');
  return { access, plan };
}

export async function measureSearch(url: string, users: number, progress: (message: string) => void): Promise<ShapeResult[]> {
  const database = await openDatabase(url, createLogger('silent'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const search = createUserSearchQueries(database.models, SEARCH_OPTIONS);
    const samples = await loadSamples(client, users);
    const endCursors = await cursorsNearTheEnd(client, search);
    const results: ShapeResult[] = [];
    for (const shape of shapes(samples, endCursors)) {
      progress(`${shape.name}: ${shape.runs} runs`);
      for (let run = 0; run < Math.min(WARMUP_RUNS, shape.runs); run += 1) await execute(search, shape.call(run));
      const timings: number[] = [];
      let rows = 0;
      for (let run = 0; run < shape.runs; run += 1) {
        const started = performance.now();
        rows += await execute(search, shape.call(run));
        timings.push(performance.now() - started);
      }
      timings.sort((a, b) => a - b);
      const example = shape.call(0);
      const { access, plan } = await explain(url, client, example);
      results.push({
        shape: shape.name,
        example:
          example.q ??
          (example.kind === 'checkpoint' ? `checkpoint take=${example.request.take}${example.request.from ? ' from=…' : ''}` : 'page=0'),
        runs: shape.runs,
        p50Ms: percentile(timings, 0.5),
        p95Ms: percentile(timings, 0.95),
        meanRows: Math.round((rows / shape.runs) * 10) / 10,
        access,
        plan,
      });
    }
    return results;
  } finally {
    await client.end();
    await database.close();
  }
}

export function formatResults(results: readonly ShapeResult[]): string {
  const header = ['shape', 'runs', 'p50 ms', 'p95 ms', 'rows', 'plan uses'];
  const lines = results.map((row) => [
    row.shape,
    String(row.runs),
    row.p50Ms.toFixed(1),
    row.p95Ms.toFixed(1),
    String(row.meanRows),
    row.access,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((cells) => (cells[column] ?? '').length)));
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column >= 1 && column <= 4 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join(' | ')} |`;
  return [
    render(header),
    `|${widths.map((width, column) => (column >= 1 && column <= 4 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`,
    ...lines.map(render),
  ].join('\n');
}

/** One row per shape, one column per user count: how each shape's cost grows with the table. */
export function formatScale(runs: ReadonlyArray<{ users: number; shapes: readonly ShapeResult[] }>): string {
  const header = ['shape', ...runs.map((run) => `${run.users.toLocaleString('en')} users`)];
  const names = [...new Set(runs.flatMap((run) => run.shapes.map((shape) => shape.shape)))];
  const lines = names.map((name) => [
    name,
    ...runs.map((run) => {
      const result = run.shapes.find((shape) => shape.shape === name);
      return result ? `${result.p95Ms.toFixed(1)} (${result.p50Ms.toFixed(1)})` : '';
    }),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((cells) => (cells[column] ?? '').length)));
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  return [
    render(header),
    // Spaced as Biome formats a Markdown table, so the table pastes into docs/benchmarks.md as printed.
    `| ${widths.map((width, column) => (column === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
    ...lines.map(render),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = process.env['SEARCH_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (!url) throw new Error('SEARCH_DATABASE_URL must name the database bench/search/seed.ts loaded');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ users: number }>('SELECT count(*)::int AS users FROM users');
  await client.end();
  const results = await measureSearch(url, rows[0]?.users ?? 0, (message) => process.stderr.write(`[search] ${message}\n`));
  process.stdout.write(`${formatResults(results)}\n`);
}
