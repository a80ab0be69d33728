/**
 * The benchmark's results: one table per Tessera target against the same bare provider runs,
 * with the password-login rates, printed to stdout and written as JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { failures, type LoadResult } from './load.js';
import type { RateResult } from './login-rate.js';
import type { BenchOptions } from './options.js';
import { loginLimit, median, ratio } from './stats.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

/** One load run against one server, with the CPU its process spent during it. */
export interface Run {
  readonly load: LoadResult;
  readonly cpuMicros: number;
  /** The process's highest RSS so far, read once the run ended: the run that raised it shows in the JSON. */
  readonly peakRssBytes?: number;
}

/** One server's runs of one scenario, a run per round, and their medians. */
export interface Side {
  readonly rounds: readonly Run[];
  readonly requestsPerSecond: number;
  /** The server process's CPU time over the requests it answered, in microseconds. */
  readonly cpuMicrosPerRequest: number;
}

export interface ScenarioRow {
  readonly scenario: string;
  readonly baseline: Side;
  readonly tessera: Side;
  /** Tessera's median requests/s over the bare provider's. */
  readonly ratio: number;
  /** Tessera's median CPU per request over the bare provider's. */
  readonly cpuRatio: number;
  /** Any non-2xx response or connection error on either side: the numbers are not comparable. */
  readonly failed: boolean;
}

export interface Memory {
  readonly rssAfterStartBytes: number;
  readonly peakRssBytes: number;
}

/** One rate (logins or verifications) per round, their median, and the server's CPU per operation. */
export interface RateSide {
  readonly rounds: readonly RateResult[];
  readonly perSecond: number;
  /** CPU per completed operation: the server process's for logins, the benchmark process's for raw verifications. */
  readonly cpuMicrosPerOperation?: number;
}

export interface TesseraLogins {
  readonly tessera: RateSide;
  readonly fractionOfLimit: number;
}

export interface LoginFloor {
  readonly concurrency: number;
  readonly bare: RateSide;
  readonly rawVerify: RateSide;
  /** 1 / (1 / bare + 1 / raw verify), from the medians. */
  readonly limit: number;
}

export interface TargetReport {
  readonly name: string;
  readonly description: string;
  readonly memory: Memory;
  readonly scenarios: readonly ScenarioRow[];
  readonly logins?: TesseraLogins;
}

/** The oidc-provider each side ran: the bare provider the release as published, Tessera its copy with `patches/`. */
export interface Providers {
  readonly bare: string;
  readonly tessera: string;
}

export interface Report {
  readonly date: string;
  readonly machine: Machine;
  readonly providers: Providers;
  readonly options: BenchOptions;
  readonly baseline: { readonly memory: Memory };
  readonly targets: readonly TargetReport[];
  readonly logins?: LoginFloor;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
}

export function side(rounds: readonly Run[]): Side {
  return {
    rounds,
    requestsPerSecond: median(rounds.map((run) => run.load.requestsPerSecond)),
    cpuMicrosPerRequest: median(rounds.map((run) => (run.load.responses > 0 ? run.cpuMicros / run.load.responses : Number.NaN))),
  };
}

export function scenarioRow(scenario: string, baseline: Side, tessera: Side): ScenarioRow {
  const failed = [...baseline.rounds, ...tessera.rounds].some((run) => failures(run.load) > 0);
  return {
    scenario,
    baseline,
    tessera,
    ratio: ratio(tessera.requestsPerSecond, baseline.requestsPerSecond),
    cpuRatio: ratio(tessera.cpuMicrosPerRequest, baseline.cpuMicrosPerRequest),
    failed,
  };
}

export function rateSide(rounds: readonly RateResult[]): RateSide {
  const cpu = rounds.flatMap((round) =>
    round.cpuMicros === undefined || round.completed === 0 ? [] : [round.cpuMicros / round.completed],
  );
  return {
    rounds,
    perSecond: median(rounds.map((round) => round.perSecond)),
    ...(cpu.length ? { cpuMicrosPerOperation: median(cpu) } : {}),
  };
}

export function loginFloor(concurrency: number, bare: RateSide, rawVerify: RateSide): LoginFloor {
  return { concurrency, bare, rawVerify, limit: loginLimit(bare.perSecond, rawVerify.perSecond) };
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
const whole = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ms = (micros: number | undefined) => `${fixed((micros ?? Number.NaN) / 1000, 1)} ms`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

function describeFailures(name: string, result: LoadResult): string | undefined {
  if (failures(result) === 0) return undefined;
  const codes = Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${code}: ${count}`)
    .join(', ');
  return `${name} ${result.non2xx} non-2xx${codes ? ` (${codes})` : ''}, ${result.errors} errors (${result.timeouts} timeouts)`;
}

function rateFailures(name: string, side: RateSide): string[] {
  return side.rounds.flatMap((round, index) =>
    round.failed ? [`(!) ${name}, round ${index + 1}: ${round.failed} failed (${round.firstFailure ?? 'no message'})`] : [],
  );
}

function formatTarget(target: TargetReport, baselineMemory: Memory, floor: LoginFloor | undefined): string[] {
  const header = ['scenario', 'bare req/s', 'Tessera req/s', 'ratio', 'bare CPU µs/req', 'Tessera CPU µs/req', 'CPU/req vs bare'];
  const rows = target.scenarios.map((row) => [
    row.failed ? `${row.scenario} (!)` : row.scenario,
    whole(row.baseline.requestsPerSecond),
    whole(row.tessera.requestsPerSecond),
    fixed(row.ratio, 2),
    whole(row.baseline.cpuMicrosPerRequest),
    whole(row.tessera.cpuMicrosPerRequest),
    `${fixed(row.cpuRatio, 2)}×`,
  ]);
  const flagged = target.scenarios.flatMap((row) =>
    [
      ...row.tessera.rounds.map((run) => describeFailures('tessera', run.load)),
      ...row.baseline.rounds.map((run) => describeFailures('bare', run.load)),
    ]
      .filter((text): text is string => text !== undefined)
      .map((text) => `(!) ${row.scenario}: ${text}`),
  );
  const lines = [`## Tessera ${target.name} (${target.description})`, ''];
  if (rows.length) lines.push(...table(header, rows), '');
  lines.push(
    `peak RSS: Tessera ${megabytes(target.memory.peakRssBytes)} (${megabytes(target.memory.rssAfterStartBytes)} after start), ` +
      `bare ${megabytes(baselineMemory.peakRssBytes)} (${megabytes(baselineMemory.rssAfterStartBytes)} after start)`,
  );
  if (floor && target.logins) {
    const { tessera, fractionOfLimit } = target.logins;
    lines.push(
      `password logins, ${floor.concurrency} at a time: bare flow ${fixed(floor.bare.perSecond, 1)}/s, raw argon2id verify ${fixed(floor.rawVerify.perSecond, 1)}/s, ` +
        `limit ${fixed(floor.limit, 1)}/s; Tessera ${fixed(tessera.perSecond, 1)}/s = ${fixed(fractionOfLimit, 2)} of the limit ` +
        `(CPU per login: Tessera ${ms(tessera.cpuMicrosPerOperation)}, bare ${ms(floor.bare.cpuMicrosPerOperation)}; per raw verify ${ms(floor.rawVerify.cpuMicrosPerOperation)})`,
    );
    flagged.push(...rateFailures('Tessera logins', tessera));
  }
  if (flagged.length) lines.push('', 'FAILED REQUESTS: these rows are not valid measurements', ...flagged);
  return lines;
}

/** The version of an installed package, as its package.json gives it. */
export function installedVersion(name: string): string {
  return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
}

export function describeProviders(): Providers {
  return {
    bare: `oidc-provider ${installedVersion('oidc-provider-published')} as published`,
    tessera: `oidc-provider ${installedVersion('oidc-provider')} with the patches in patches/`,
  };
}

export function formatReport(report: Report): string {
  const { machine, providers, options } = report;
  const lines = [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, node ${machine.node}, ${machine.platform}`,
    `providers: bare ${providers.bare}; Tessera ${providers.tessera}`,
    `load: ${options.connections} connections for every server, ${options.durationSeconds} s per scenario, server and round; ` +
      `${options.rounds} alternating rounds, medians; ratio = Tessera req/s / bare req/s; CPU = the server process's CPU time / requests served`,
    '',
  ];
  for (const target of report.targets) lines.push(...formatTarget(target, report.baseline.memory, report.logins), '');
  if (report.logins) {
    const flagged = [...rateFailures('bare logins', report.logins.bare), ...rateFailures('raw verifies', report.logins.rawVerify)];
    if (flagged.length) lines.push('FAILED LOGINS: the login floor is not a valid measurement', ...flagged);
  }
  return lines.join('\n').trimEnd();
}

export function anyFailure(report: Report): boolean {
  const rateFailed = (side: RateSide | undefined) => side?.rounds.some((round) => round.failed > 0) ?? false;
  return (
    report.targets.some((target) => target.scenarios.some((row) => row.failed) || rateFailed(target.logins?.tessera)) ||
    rateFailed(report.logins?.bare) ||
    rateFailed(report.logins?.rawVerify)
  );
}

export async function writeReport(report: Report, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
