/**
 * `npm run bench`: Tessera (embedded PostgreSQL) against a bare in-memory oidc-provider,
 * scenario by scenario, the two servers measured alternately under the same load.
 */
import { fileURLToPath } from 'node:url';
import { startBaselineProvider } from './baseline-provider.js';
import { type LoadResult, type LoadSettings, runLoad } from './load.js';
import { issueUserTokens, type UserTokens } from './login.js';
import { describeMachine, formatReport, type Report, type ScenarioResult, scenarioResult, writeReport } from './report.js';
import { SCENARIOS } from './scenarios.js';
import type { Target, TargetName } from './target.js';
import { startTesseraTarget } from './tessera-target.js';

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url));

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function benchmark(settings: LoadSettings, stops: Array<() => Promise<void>>): Promise<Report> {
  progress('starting Tessera with a scratch PostgreSQL');
  const tessera = await startTesseraTarget();
  stops.push(() => tessera.stop());
  progress('starting the bare oidc-provider baseline');
  const baseline = await startBaselineProvider();
  stops.push(() => baseline.stop());

  // Tessera first in every pair; both are measured before the next scenario starts.
  const targets: readonly Target[] = [tessera, baseline];
  const tokens = new Map<TargetName, UserTokens>();
  for (const target of targets) {
    progress(`${target.name}: ${settings.connections + 1} logins for user tokens`);
    tokens.set(target.name, await issueUserTokens(target, settings.connections));
  }

  const scenarios: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    const measured = new Map<TargetName, LoadResult>();
    for (const target of targets) {
      progress(`${scenario.name} on ${target.name} for ${settings.durationSeconds} s`);
      const targetTokens = tokens.get(target.name);
      if (!targetTokens) throw new Error(`no user tokens for ${target.name}`);
      measured.set(target.name, await runLoad(scenario.request(target, targetTokens), settings));
    }
    const [tesseraResult, baselineResult] = [measured.get('tessera'), measured.get('baseline')];
    if (!tesseraResult || !baselineResult) throw new Error(`${scenario.name} was not measured on both servers`);
    scenarios.push(scenarioResult(scenario.name, tesseraResult, baselineResult));
  }
  return { date: new Date().toISOString(), machine: describeMachine(), settings, scenarios };
}

async function main(): Promise<number> {
  const settings: LoadSettings = {
    durationSeconds: positiveIntegerFromEnv('BENCH_DURATION', 10),
    connections: positiveIntegerFromEnv('BENCH_CONNECTIONS', 10),
  };
  const stops: Array<() => Promise<void>> = [];
  try {
    const report = await benchmark(settings, stops);
    process.stdout.write(`${formatReport(report)}\n`);
    await writeReport(report, RESULTS_FILE);
    progress(`results written to ${RESULTS_FILE}`);
    // Failed requests make the numbers meaningless: say so in the exit status too.
    return report.scenarios.some((row) => row.failed) ? 1 : 0;
  } catch (error) {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => progress(`stop failed: ${String(error)}`));
    }
  }
}

// Pools and timers of libraries we do not own may keep the loop alive after everything is stopped.
process.exit(await main());
