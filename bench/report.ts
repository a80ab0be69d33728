/** The benchmark's results: the table printed to stdout and the same data as JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { failures, type LoadResult, type LoadSettings } from './load.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly tessera: LoadResult;
  readonly baseline: LoadResult;
  /** Tessera's requests/s over the baseline's. */
  readonly ratio: number;
  /** Any non-2xx response or connection error on either side: the numbers are not comparable. */
  readonly failed: boolean;
}

export interface Report {
  readonly date: string;
  readonly machine: Machine;
  readonly settings: LoadSettings;
  readonly scenarios: readonly ScenarioResult[];
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

export function scenarioResult(scenario: string, tessera: LoadResult, baseline: LoadResult): ScenarioResult {
  return {
    scenario,
    tessera,
    baseline,
    ratio: baseline.requestsPerSecond > 0 ? tessera.requestsPerSecond / baseline.requestsPerSecond : 0,
    failed: failures(tessera) + failures(baseline) > 0,
  };
}

function describeFailures(name: string, result: LoadResult): string | undefined {
  if (failures(result) === 0) return undefined;
  const codes = Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${code}: ${count}`)
    .join(', ');
  return `${name} ${result.non2xx} non-2xx${codes ? ` (${codes})` : ''}, ${result.errors} errors (${result.timeouts} timeouts)`;
}

export function formatReport(report: Report): string {
  const header = ['scenario', 'tessera req/s', 'tessera p99 ms', 'baseline req/s', 'baseline p99 ms', 'ratio'];
  const rows = report.scenarios.map((row) => [
    row.failed ? `${row.scenario} (!)` : row.scenario,
    row.tessera.requestsPerSecond.toFixed(0),
    row.tessera.p99Ms.toFixed(0),
    row.baseline.requestsPerSecond.toFixed(0),
    row.baseline.p99Ms.toFixed(0),
    row.ratio.toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;

  const { machine, settings } = report;
  const flagged = report.scenarios.flatMap((row) =>
    [describeFailures('tessera', row.tessera), describeFailures('baseline', row.baseline)]
      .filter((text): text is string => text !== undefined)
      .map((text) => `(!) ${row.scenario}: ${text}`),
  );
  return [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, node ${machine.node}, ${machine.platform}`,
    `load: ${settings.connections} connections, ${settings.durationSeconds} s per scenario and server; ratio = tessera req/s / baseline req/s`,
    '',
    line(header),
    rule,
    ...rows.map(line),
    ...(flagged.length ? ['', 'FAILED REQUESTS: these rows are not valid measurements', ...flagged] : []),
  ].join('\n');
}

export async function writeReport(report: Report, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
