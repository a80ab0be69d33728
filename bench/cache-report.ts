/** The cache benchmark's results: the tables printed to stdout and the same data as JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheDelta, CpuProfileSummary, CpuRates, Latency, StepTiming } from './cache-measure.js';
import { failures, type LoadResult, type LoadSettings } from './load.js';
import type { Machine } from './report.js';

export type Backend = 'lru' | 'redis';
export type Mode = 'hot' | 'cold' | 'off';
export type Endpoint = 'userinfo' | 'users.get';

export const MODE_MEANING: Record<Mode, string> = {
  hot: 'profile cache warm: the measured users were each read once before, and a short warm-up load ran',
  cold: 'every request misses: each one is for a user not requested before in the run (one user per request, never repeated, cache invalidated before the run), so each pays the SQL query',
  off: "profile cache bypassed: the bench replaces the running cache object's read() with a direct call of the loader (no lookup, no store), so every request pays the SQL query and nothing else",
};

export interface CacheRun {
  readonly backend: Backend;
  readonly mode: Mode;
  readonly endpoint: Endpoint;
  /** Distinct users requested: the rotation of a hot or off run; for a cold run, one per request served. */
  readonly users: number;
  readonly load: LoadResult;
  /** profileCache.stats() over the run; hitRatio null when the cache was bypassed. */
  readonly cache: CacheDelta;
  /** CPU ms per second of wall time in the middle of the run, by process. */
  readonly cpu: CpuRates | undefined;
  /** The baseline run this row's ratio is against (userinfo only: users.get has no baseline equivalent). */
  readonly baselineRequestsPerSecond: number | undefined;
  readonly ratio: number | undefined;
  readonly failed: boolean;
}

export interface BaselineMeasurement {
  readonly load: LoadResult;
  readonly cpu: CpuRates | undefined;
}

export interface BaselineRun {
  readonly measuredWith: Backend;
  /** Measured just before and just after this block's hot userinfo run. */
  readonly before: BaselineMeasurement;
  readonly after: BaselineMeasurement;
  /** The mean of the two: the reference of this block's userinfo ratios. */
  readonly requestsPerSecond: number;
  readonly failed: boolean;
}

/** Each baseline measurement with a label, for the per-run tables. */
function baselineMeasurements(report: CacheReport) {
  return report.baselines.flatMap((run) =>
    (['before', 'after'] as const).map((when) => ({
      label: [`baseline${failures(run[when].load) > 0 ? ' (!)' : ''}`, `${when} ${run.measuredWith} hot`, 'userinfo'],
      text: `baseline ${when} ${run.measuredWith} hot userinfo`,
      reference: run.requestsPerSecond,
      ...run[when],
    })),
  );
}

export interface ReadLatency {
  readonly backend: Backend;
  /** hot: a hit; cold: a miss with its SQL query and the store; sql: the loader alone (what "off" costs). */
  readonly path: 'hot (hit)' | 'cold (miss + SQL + store)' | 'off (SQL loader only)';
  readonly latency: Latency;
  readonly cache: CacheDelta;
}

export interface StepProfile {
  readonly backend: Backend;
  /** Sequential calls on an idle server: what each userinfo step costs by itself. */
  readonly sequential: Record<string, Latency>;
  /**
   * Hot userinfo with some lookups answered from a bench-only in-process memo instead of
   * storage: an upper bound on what caching them would give, not a correct implementation.
   */
  readonly whatIf: ReadonlyArray<{
    label: string;
    requestsPerSecond: number;
    p99Ms: number;
    ratio: number | undefined;
    nodeCpuMsPerRequest: number | undefined;
    failed: boolean;
  }>;
  /** One oidc_payloads row (the grant) read three ways, sequentially: latency and this process's CPU per read. */
  readonly queryCost: Record<string, Latency & { cpuMsPerCall: number }>;
  /** Under load (same connections): mean wall time per request in each step, queueing included. */
  readonly underLoad: {
    readonly seconds: number;
    readonly requestsPerSecond: number;
    readonly inServerMeanMs: number;
    readonly steps: Record<string, StepTiming & { meanMs: number }>;
    readonly cpu: CpuRates | undefined;
    readonly cpuProfile: CpuProfileSummary;
  };
}

export interface CacheReport {
  readonly date: string;
  readonly machine: Machine;
  readonly settings: LoadSettings & { hotUsers: number; coldUsers: number; warmupSeconds: number };
  readonly modes: Record<Mode, string>;
  readonly runs: readonly CacheRun[];
  readonly baselines: readonly BaselineRun[];
  readonly readLatency: readonly ReadLatency[];
  readonly profiles: readonly StepProfile[];
  readonly notes: readonly string[];
}

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, leftColumns = 1): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column < leftColumns ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const ms = (value: number) => (value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3));
const percent = (ratio: number | null) => (ratio === null ? '-' : `${(ratio * 100).toFixed(1)} %`);

function describeFailures(label: string, result: LoadResult): string | undefined {
  if (failures(result) === 0) return undefined;
  const codes = Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${code}: ${count}`)
    .join(', ');
  return `(!) ${label}: ${result.non2xx} non-2xx${codes ? ` (${codes})` : ''}, ${result.errors} errors (${result.timeouts} timeouts)`;
}

function cpuPerRequest(cpu: CpuRates | undefined, requestsPerSecond: number, role: string): string {
  const rate = cpu?.[role];
  if (rate === undefined || requestsPerSecond <= 0) return '-';
  return (rate / requestsPerSecond).toFixed(2);
}

const DISTURBED_MS_PER_SECOND = 200;

/** A role's CPU in % of one core. */
function percentOfCore(cpu: CpuRates | undefined, role: string): string {
  const rate = cpu?.[role];
  return rate === undefined ? '-' : (rate / 10).toFixed(0);
}

export function formatCacheReport(report: CacheReport): string {
  const { machine, settings } = report;
  const out: string[] = [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, node ${machine.node}, ${machine.platform}`,
    `load: ${settings.connections} connections, ${settings.durationSeconds} s per run; hot and off: ${settings.hotUsers} users in turn; cold: a new user per request (${settings.coldUsers} seeded)`,
    "ratio = Tessera req/s / bare oidc-provider req/s at userinfo; the baseline is measured just before and just after each block's hot userinfo run",
    'and its mean is the reference for that block (users.get has no baseline equivalent)',
    '',
  ];
  const baselines = baselineMeasurements(report);
  const runLabel = (run: CacheRun) => [`${run.backend}${run.failed ? ' (!)' : ''}`, run.mode, run.endpoint];
  out.push(
    table(
      ['cache', 'mode', 'endpoint', 'users', 'req/s', 'p99 ms', 'baseline req/s', 'ratio', 'hit ratio', 'cache errors'],
      [
        ...report.runs.map((run) => [
          ...runLabel(run),
          String(run.users),
          run.load.requestsPerSecond.toFixed(0),
          run.load.p99Ms.toFixed(0),
          run.baselineRequestsPerSecond === undefined ? '-' : run.baselineRequestsPerSecond.toFixed(0),
          run.ratio === undefined ? '-' : run.ratio.toFixed(2),
          percent(run.cache.hitRatio),
          String(run.cache.errors),
        ]),
        ...baselines.map((row) => [
          ...row.label,
          '1',
          row.load.requestsPerSecond.toFixed(0),
          row.load.p99Ms.toFixed(0),
          row.reference.toFixed(0),
          (row.load.requestsPerSecond / row.reference).toFixed(2),
          '-',
          '-',
        ]),
      ],
      3,
    ),
  );

  const cpuColumns = (cpu: CpuRates | undefined, requestsPerSecond: number) => [
    cpuPerRequest(cpu, requestsPerSecond, 'bench process (servers)'),
    cpuPerRequest(cpu, requestsPerSecond, 'postgres'),
    cpuPerRequest(cpu, requestsPerSecond, 'redis-server'),
    cpuPerRequest(cpu, requestsPerSecond, 'load generator'),
    percentOfCore(cpu, 'bench process (servers)'),
    percentOfCore(cpu, 'other processes'),
    percentOfCore(cpu, 'steal (hypervisor)'),
  ];
  out.push(
    '',
    'CPU per request, sampled over the middle of each run (ms of CPU time per request served; node = the bench process, which serves both',
    "servers on one event loop; % = share of one core: node near 100 % means the server's event loop is the bottleneck; others and steal near 0 for a clean run):",
    '',
    table(
      ['cache', 'mode', 'endpoint', 'node ms', 'postgres ms', 'redis ms', 'loadgen ms', 'node %', 'others %', 'steal %'],
      [
        ...report.runs.map((run) => [...runLabel(run), ...cpuColumns(run.cpu, run.load.requestsPerSecond)]),
        ...baselines.map((row) => [...row.label, ...cpuColumns(row.cpu, row.load.requestsPerSecond)]),
      ],
      3,
    ),
  );

  out.push(
    '',
    'profileCache.read latency, in-process, one read at a time on an idle server:',
    '',
    table(
      ['cache', 'path', 'reads', 'p50 ms', 'p99 ms', 'mean ms', 'hit ratio'],
      report.readLatency.map((row) => [
        row.backend,
        row.path,
        String(row.latency.samples),
        ms(row.latency.p50Ms),
        ms(row.latency.p99Ms),
        ms(row.latency.meanMs),
        percent(row.cache.hitRatio),
      ]),
      2,
    ),
  );

  for (const profile of report.profiles) {
    const load = profile.underLoad;
    out.push(
      '',
      `profile of hot userinfo, ${profile.backend}: each step alone (sequential, idle server) and under load (${load.seconds} s, ${load.requestsPerSecond.toFixed(0)} req/s while profiled; mean time in the server ${ms(load.inServerMeanMs)} ms per request)`,
      '',
      table(
        ['step', 'alone p50 ms', 'alone p99 ms', 'under load mean ms', 'calls per request'],
        Object.entries(profile.sequential).map(([step, latency]) => {
          const underLoad = load.steps[step];
          const requests = load.requestsPerSecond * load.seconds;
          return [
            step,
            ms(latency.p50Ms),
            ms(latency.p99Ms),
            underLoad ? ms(underLoad.meanMs) : '-',
            underLoad && requests > 0 ? (underLoad.calls / requests).toFixed(2) : '-',
          ];
        }),
      ),
      '',
      `what-if, hot userinfo with lookups memoized in process by the bench (an upper bound, ${load.seconds} s each):`,
      '',
      table(
        ['memoized', 'req/s', 'p99 ms', 'ratio', 'node CPU ms/req'],
        profile.whatIf.map((row) => [
          `${row.label}${row.failed ? ' (!)' : ''}`,
          row.requestsPerSecond.toFixed(0),
          row.p99Ms.toFixed(0),
          row.ratio === undefined ? '-' : row.ratio.toFixed(2),
          row.nodeCpuMsPerRequest === undefined ? '-' : row.nodeCpuMsPerRequest.toFixed(2),
        ]),
      ),
      '',
      'one oidc_payloads row (the grant) read three ways, one at a time on an idle server (node CPU per read = this process, user + kernel):',
      '',
      table(
        ['read', 'p50 ms', 'p99 ms', 'node CPU ms per read'],
        Object.entries(profile.queryCost).map(([label, cost]) => [label, ms(cost.p50Ms), ms(cost.p99Ms), cost.cpuMsPerCall.toFixed(3)]),
      ),
      '',
      `CPU ms per request under load: ${Object.entries(load.cpu ?? {})
        .map(([role, rate]) => `${role} ${load.requestsPerSecond > 0 ? (rate / load.requestsPerSecond).toFixed(2) : '-'}`)
        .join(', ')}`,
      `CPU profile of the bench process (${load.cpuProfile.sampledMs} ms sampled), self time by origin (native code and node core charged to the package that called them): ${load.cpuProfile.byOrigin
        .map(({ origin, percent: share }) => `${origin} ${share} %`)
        .join(', ')}`,
      `top functions: ${load.cpuProfile.topFunctions
        .slice(0, 12)
        .map(({ name, percent: share }) => `${name} ${share} %`)
        .join('; ')}`,
    );
  }

  const flagged = [
    ...report.runs.map((run) => describeFailures(`${run.backend} ${run.mode} ${run.endpoint}`, run.load)),
    ...baselineMeasurements(report).map((row) => describeFailures(row.text, row.load)),
  ].filter((text): text is string => text !== undefined);
  if (flagged.length) out.push('', 'FAILED REQUESTS: these rows are not valid measurements', ...flagged);
  const disturbed = [
    ...report.runs.map((run) => ({ label: `${run.backend} ${run.mode} ${run.endpoint}`, cpu: run.cpu })),
    ...baselineMeasurements(report).map((row) => ({ label: row.text, cpu: row.cpu })),
  ].filter(({ cpu }) => (cpu?.['other processes'] ?? 0) + (cpu?.['steal (hypervisor)'] ?? 0) > DISTURBED_MS_PER_SECOND);
  if (disturbed.length) {
    out.push(
      '',
      `DISTURBED: other processes and the hypervisor took over ${DISTURBED_MS_PER_SECOND / 10} % of a core during: ${disturbed.map(({ label }) => label).join(', ')}`,
    );
  }
  if (report.notes.length) out.push('', ...report.notes.map((note) => `note: ${note}`));
  return out.join('\n');
}

export async function writeCacheReport(report: CacheReport, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
