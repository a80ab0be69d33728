/**
 * `npx tsx bench/profile-hot.ts`: the hot token endpoints and documents, Tessera against the
 * bare oidc-provider, each server in a process of its own so that CPU per request, PostgreSQL
 * statements per request and RSS are measured per server. A profiling aid for issue 11; the
 * benchmark of record is `npm run bench`.
 *
 * PROFILE_DURATION (s per run, 5), PROFILE_CONNECTIONS (16), PROFILE_ROUNDS (1),
 * PROFILE_BASELINE=postgres, redis or floor (the bare provider over a scratch PostgreSQL or redis-server, through
 * bench/baseline-postgres-adapter.ts or bench/baseline-redis-adapter.ts, or reading from memory and
 * writing to PostgreSQL, bench/baseline-floor-adapter.ts), PROFILE_CANDIDATE=<one of those stores, or
 * memory, or es256: in memory, signing client_credentials tokens with ES256> (a bare provider in
 * Tessera's column, to measure one store, or one algorithm, against another),
 * PROFILE_SCENARIOS (comma-separated names, all by default; `logins` the password logins, 4 at a time or
 * PROFILE_LOGIN_CONCURRENCY), PROFILE_REDIS=1 (Tessera with a
 * scratch redis-server), PROFILE_CPU=<dir> (a .cpuprofile per scenario and server there).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadRequest, type LoadResult, runLoad } from './load.js';
import { issueUserTokens, type UserTokens } from './login.js';
import { measureLogins, measureRawVerifies } from './login-rate.js';
import { LOGIN_CONCURRENCY, LOGINS } from './options.js';
import type { ServerKind, ServerMessage, ServerRequest, Usage } from './profile-server.js';
import { startRedisServer } from './redis-server.js';
import { SCENARIOS } from './scenarios.js';
import { loginLimit, ratio } from './stats.js';
import type { Target } from './target.js';

const progress = (message: string) => process.stderr.write(`[profile] ${message}\n`);
const number = (name: string, fallback: number) => Number(process.env[name] || fallback);

type Described = Omit<Target, 'stop'>;

interface Server {
  readonly target: Described;
  readonly started: Usage;
  ask(request: ServerRequest): Promise<ServerMessage>;
  stop(): Promise<void>;
}

/** Where the bare provider keeps its artifacts (PROFILE_BASELINE). */
const BASELINE_STORES = ['memory', 'postgres', 'redis', 'floor'] as const;
/** The bare providers that can take Tessera's column: over one of the stores, or signing with ES256. */
const CANDIDATES = [...BASELINE_STORES, 'es256'] as const;
type CandidateName = (typeof CANDIDATES)[number];

/** The name the environment variable gives, one of `names`; undefined when it is unset. */
function namedBy<Name extends string>(variable: string, names: readonly Name[]): Name | undefined {
  const wanted = process.env[variable];
  if (!wanted) return undefined;
  const name = names.find((known) => known === wanted);
  if (!name) throw new Error(`${variable} must be one of ${names.join(', ')}`);
  return name;
}

/** A bare provider, with a redis-server of its own when its store is Redis. */
async function startBaseline(store: CandidateName): Promise<{ server: Server; stop(): Promise<void> }> {
  // Its own redis-server, so neither server's keys or commands reach the other's.
  const redis = store === 'redis' ? await startRedisServer() : undefined;
  const server = await startServer(store === 'memory' ? 'baseline' : `baseline-${store}`, redis?.url);
  return {
    server,
    async stop() {
      await server.stop();
      await redis?.stop();
    },
  };
}

async function startServer(kind: ServerKind, redisUrl: string | undefined): Promise<Server> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./profile-server.ts', import.meta.url)), [kind, ...(redisUrl ? [redisUrl] : [])]);
  const waiting: Array<(message: ServerMessage) => void> = [];
  let ready: (message: ServerMessage & { kind: 'ready' }) => void = () => {};
  const readyMessage = new Promise<ServerMessage & { kind: 'ready' }>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  child.on('message', (message: ServerMessage) => {
    if (message.kind === 'ready') ready(message);
    else waiting.shift()?.(message);
  });
  const { target, usage } = await readyMessage;
  return {
    target,
    started: usage,
    ask: (request) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.send(request);
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

interface Scenario {
  readonly name: string;
  request(target: Described, tokens: UserTokens): LoadRequest;
}

/** Logins and raw verifications at a time (PROFILE_LOGIN_CONCURRENCY): 1 shows a login's own CPU, free of the others'. */
const loginConcurrency = number('PROFILE_LOGIN_CONCURRENCY', LOGIN_CONCURRENCY);

/** Password logins through the forms, loginConcurrency at a time, shaped as a load result so they share the table. */
async function loginLoad(target: Described, durationSeconds: number): Promise<LoadResult> {
  // This process is the browser: its CPU shares the machine with the servers, so it is shown too.
  const before = process.cpuUsage();
  const result = await measureLogins({ ...target, stop: async () => {} }, { concurrency: loginConcurrency, durationSeconds });
  const { user, system } = process.cpuUsage(before);
  progress(`  browser CPU per login: ${((user + system) / Math.max(1, result.completed)).toFixed(0)} µs`);
  return {
    requestsPerSecond: result.perSecond,
    p99Ms: 0,
    responses: result.completed,
    non2xx: result.failed,
    errors: 0,
    timeouts: 0,
    statusCodes: result.firstFailure ? { [result.firstFailure]: result.failed } : {},
  };
}

const ALL_SCENARIOS: readonly Scenario[] = [
  ...SCENARIOS.map((scenario) => ({
    name: scenario.name,
    request: (target: Described, tokens: UserTokens) => scenario.request({ ...target, stop: async () => {} }, tokens),
  })),
  { name: LOGINS, request: () => ({ origin: '', method: 'GET', path: '/', headers: {} }) },
];

/**
 * CPU time of every PostgreSQL process on the machine, microseconds (the scratch cluster is the
 * only one while profiling): its backends live as long as the pool, and ended ones are counted
 * in their postmaster's children time.
 */
async function postgresCpuMicros(): Promise<number> {
  let ticks = 0;
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(postgres)')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0);
  }
  return (ticks * 1_000_000) / 100;
}

/** The bench's login limit (docs/benchmarks.md, Password logins): the bare flow plus one raw argon2id verify, measured now. */
async function loginLimitRow(candidate: number, bare: number, durationSeconds: number, candidateVerifies: boolean): Promise<string> {
  const verifies = (await measureRawVerifies({ concurrency: loginConcurrency, durationSeconds })).perSecond;
  const limit = loginLimit(bare, verifies);
  // A bare provider's login checks no password: its limit, the same way, is what it could reach.
  const reached = candidateVerifies ? candidate : loginLimit(candidate, verifies);
  const measured = candidateVerifies ? 'tessera' : `candidate flow plus a verify ${reached.toFixed(1)}/s`;
  return `  limit ${limit.toFixed(1)}/s (bare flow ${bare.toFixed(1)}/s, raw verify ${verifies.toFixed(1)}/s): ${measured}, ${ratio(reached, limit).toFixed(2)} of it`;
}

const usageOf = async (server: Server) => ((await server.ask({ kind: 'usage' })) as ServerMessage & { kind: 'usage' }).usage;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

async function main() {
  const settings = { durationSeconds: number('PROFILE_DURATION', 5), connections: number('PROFILE_CONNECTIONS', 16) };
  const rounds = number('PROFILE_ROUNDS', 1);
  const wanted = process.env['PROFILE_SCENARIOS']?.split(',');
  const scenarios = ALL_SCENARIOS.filter((scenario) => !wanted || wanted.includes(scenario.name));
  const cpuDir = process.env['PROFILE_CPU'];
  if (cpuDir) await mkdir(cpuDir, { recursive: true });
  const baselineStore = namedBy('PROFILE_BASELINE', BASELINE_STORES) ?? 'memory';
  const candidate = namedBy('PROFILE_CANDIDATE', CANDIDATES);
  const redis = !candidate && process.env['PROFILE_REDIS'] === '1' ? await startRedisServer() : undefined;
  const bareCandidate = candidate ? await startBaseline(candidate) : undefined;
  const tessera = bareCandidate?.server ?? (await startServer('tessera', redis?.url));
  const bare = await startBaseline(baselineStore);
  const baseline = bare.server;
  try {
    const servers = [tessera, baseline];
    const tokens = new Map<Server, UserTokens>();
    const rows: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Fresh every round, as `npm run bench` does: refresh tokens rotate, and a round ends with some in flight.
      for (const server of servers)
        tokens.set(server, await issueUserTokens({ ...server.target, stop: async () => {} }, settings.connections));
      for (const scenario of scenarios) {
        const measured: Array<{ load: LoadResult; cpu: number; statements: number; postgres: number }> = [];
        for (const server of servers) {
          const serverTokens = tokens.get(server);
          if (!serverTokens) throw new Error('no tokens');
          progress(`${scenario.name} on ${server.target.name}`);
          if (cpuDir) await server.ask({ kind: 'profile-start' });
          const before = await usageOf(server);
          const postgresBefore = await postgresCpuMicros();
          const load =
            scenario.name === LOGINS
              ? await loginLoad(server.target, settings.durationSeconds)
              : await runLoad(scenario.request(server.target, serverTokens), settings);
          const after = await usageOf(server);
          const postgresAfter = await postgresCpuMicros();
          if (cpuDir) {
            await server.ask({ kind: 'profile-stop', file: path.join(cpuDir, `${scenario.name}-${server.target.name}.cpuprofile`) });
          }
          const responses = Math.max(1, load.responses);
          if (process.env['PROFILE_SQL'] === '1') {
            for (const [text, count] of Object.entries(after.texts)) progress(`  ${(count / responses).toFixed(2)} × ${text}`);
          }
          measured.push({
            load,
            cpu: (after.cpuMicros - before.cpuMicros) / responses,
            statements: (after.statements - before.statements) / responses,
            postgres: (postgresAfter - postgresBefore) / responses,
          });
        }
        const [t, b] = measured;
        if (!t || !b) throw new Error('not measured');
        const failed = t.load.non2xx + t.load.errors + b.load.non2xx + b.load.errors;
        rows.push(
          [
            scenario.name.padEnd(18),
            t.load.requestsPerSecond.toFixed(0).padStart(7),
            b.load.requestsPerSecond.toFixed(0).padStart(7),
            (t.load.requestsPerSecond / b.load.requestsPerSecond).toFixed(2).padStart(6),
            t.cpu.toFixed(0).padStart(6),
            b.cpu.toFixed(0).padStart(6),
            (t.cpu / b.cpu).toFixed(2).padStart(6),
            t.statements.toFixed(2).padStart(6),
            t.postgres.toFixed(0).padStart(6),
            b.statements.toFixed(2).padStart(6),
            b.postgres.toFixed(0).padStart(6),
            failed ? ` FAILED ${JSON.stringify(t.load.statusCodes)} ${JSON.stringify(b.load.statusCodes)}` : '',
          ].join(' '),
        );
        if (scenario.name === LOGINS)
          rows.push(await loginLimitRow(t.load.requestsPerSecond, b.load.requestsPerSecond, settings.durationSeconds, !candidate));
      }
    }
    const [tEnd, bEnd] = [await usageOf(tessera), await usageOf(baseline)];
    process.stdout.write(
      [
        `${settings.connections} connections, ${settings.durationSeconds} s, redis: ${redis ? 'yes' : 'no'}, bare provider's store: ${baselineStore}` +
          (candidate ? `; in Tessera's column, the bare provider (${candidate})` : ''),
        'scenario           tessera  bare    ratio  t µs   b µs   cpu×   t stmts t pg µs b stmts b pg µs (per request)',
        ...rows,
        `RSS after start: tessera ${mb(tessera.started.rssBytes)} MB, bare ${mb(baseline.started.rssBytes)} MB; ` +
          `peak: tessera ${mb(tEnd.maxRssBytes)} MB, bare ${mb(bEnd.maxRssBytes)} MB`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all([bareCandidate?.stop() ?? tessera.stop(), bare.stop()]);
    await redis?.stop();
  }
}

await main();
process.exit(0);
