/**
 * `npm run bench`: every scenario against a bare in-memory oidc-provider and each Tessera
 * target, every server in a process of its own, in alternating rounds under the same load;
 * then password logins against their floor. Options: bench/options.ts (`npm run bench -- --help`).
 */
import { fileURLToPath } from 'node:url';
import { type LoadResult, runLoad } from './load.js';
import { issueUserTokens } from './login.js';
import { measureLogins, measureRawVerifies, type RateResult } from './login-rate.js';
import { type BenchOptions, LOGINS, OptionsError, readOptions, USAGE } from './options.js';
import {
  anyFailure,
  describeMachine,
  describeProviders,
  formatReport,
  loginFloor,
  type Report,
  type Run,
  rateSide,
  scenarioRow,
  side,
  type TargetReport,
  writeReport,
} from './report.js';
import { SCENARIOS } from './scenarios.js';
import { type ServerProcess, startServerProcess } from './server-host.js';
import { ratio } from './stats.js';
import { startTesseraTarget, TESSERA_TARGET_DESCRIPTIONS, type TesseraTargetName } from './tessera-targets.js';

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const MINIMUM_NODE_MAJOR = 24;

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Runs `measure` while counting the CPU time `server` spends on it; and its highest RSS so far once done, which tells what raised it. */
async function withCpu<T>(
  server: ServerProcess,
  measure: () => Promise<T>,
): Promise<{ result: T; cpuMicros: number; peakRssBytes: number }> {
  const before = await server.usage();
  const result = await measure();
  const after = await server.usage();
  return { result, cpuMicros: after.cpuMicros - before.cpuMicros, peakRssBytes: after.peakRssBytes };
}

async function benchmark(options: BenchOptions, stops: Array<() => Promise<void>>): Promise<Report> {
  const scenarios = SCENARIOS.filter((scenario) => options.scenarios?.includes(scenario.name) ?? true);
  const withLogins = options.scenarios?.includes(LOGINS) ?? true;

  progress('starting the bare oidc-provider');
  const baseline = await startServerProcess({ kind: 'baseline', name: 'baseline' });
  stops.push(() => baseline.stop());
  const tesseras = new Map<TesseraTargetName, ServerProcess>();
  for (const name of options.targets) {
    progress(`starting Tessera ${name} (${TESSERA_TARGET_DESCRIPTIONS[name]})`);
    const target = await startTesseraTarget(name);
    stops.push(() => target.stop());
    tesseras.set(name, target);
  }
  const servers = [baseline, ...tesseras.values()];

  const loads = new Map<string, Run[]>();
  const logins = new Map<string, RateResult[]>();
  const record = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
  const loadSettings = { durationSeconds: options.durationSeconds, connections: options.connections };
  const rateSettings = { concurrency: options.loginConcurrency, durationSeconds: options.loginDurationSeconds };

  for (let round = 0; round < options.rounds; round += 1) {
    // The bare provider first in even rounds and last in odd ones, so neither side always runs on a warmer machine.
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    if (scenarios.length) {
      // Fresh refresh tokens every round: a run ends with requests in flight, whose rotated tokens are lost.
      const tokens = new Map<string, Awaited<ReturnType<typeof issueUserTokens>>>();
      for (const server of order) {
        progress(`round ${round + 1}: ${options.connections + 1} logins on ${server.name} for user tokens`);
        tokens.set(server.name, await issueUserTokens(server, options.connections));
      }
      for (const scenario of scenarios) {
        for (const server of order) {
          progress(`round ${round + 1}: ${scenario.name} on ${server.name} for ${options.durationSeconds} s`);
          const serverTokens = tokens.get(server.name);
          if (!serverTokens) throw new Error(`no user tokens for ${server.name}`);
          const { result, cpuMicros, peakRssBytes } = await withCpu(server, () =>
            runLoad(scenario.request(server, serverTokens), loadSettings),
          );
          record<Run>(loads, `${scenario.name}\0${server.name}`, { load: result as LoadResult, cpuMicros, peakRssBytes });
        }
      }
    }
    if (withLogins) {
      const steps: Array<{ name: string; run: () => Promise<RateResult> }> = order.map((server) => ({
        name: server.name,
        run: async () => {
          const { result, cpuMicros, peakRssBytes } = await withCpu(server, () => measureLogins(server, rateSettings));
          return { ...result, cpuMicros, peakRssBytes };
        },
      }));
      // The raw verifications between the bare provider and the Tessera targets.
      steps.splice(1, 0, { name: 'raw-verify', run: () => measureRawVerifies(rateSettings) });
      for (const step of steps) {
        progress(
          `round ${round + 1}: password logins on ${step.name}, ${options.loginConcurrency} at a time, for ${options.loginDurationSeconds} s`,
        );
        record(logins, step.name, await step.run());
      }
    }
  }

  const usage = new Map(await Promise.all(servers.map(async (server) => [server.name, await server.usage()] as const)));
  const memoryOf = (server: ServerProcess) => ({
    rssAfterStartBytes: server.started.rssBytes,
    peakRssBytes: usage.get(server.name)?.peakRssBytes ?? Number.NaN,
  });
  const floor = withLogins
    ? loginFloor(options.loginConcurrency, rateSide(logins.get(baseline.name) ?? []), rateSide(logins.get('raw-verify') ?? []))
    : undefined;
  const targets: TargetReport[] = [...tesseras].map(([name, server]) => {
    const tesseraLogins = floor ? rateSide(logins.get(server.name) ?? []) : undefined;
    return {
      name,
      description: TESSERA_TARGET_DESCRIPTIONS[name],
      memory: memoryOf(server),
      scenarios: scenarios.map((scenario) =>
        scenarioRow(
          scenario.name,
          side(loads.get(`${scenario.name}\0${baseline.name}`) ?? []),
          side(loads.get(`${scenario.name}\0${server.name}`) ?? []),
        ),
      ),
      ...(floor && tesseraLogins
        ? { logins: { tessera: tesseraLogins, fractionOfLimit: ratio(tesseraLogins.perSecond, floor.limit) } }
        : {}),
    };
  });
  return {
    date: new Date().toISOString(),
    machine: describeMachine(),
    providers: describeProviders(),
    options,
    baseline: { memory: memoryOf(baseline) },
    targets,
    ...(floor ? { logins: floor } : {}),
  };
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = readOptions(
      process.argv.slice(2),
      process.env,
      SCENARIOS.map((scenario) => scenario.name),
    );
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`[bench] ${error.message}\n`);
    return 2;
  }
  // Both servers run on this node binary (fork uses process.execPath).
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MINIMUM_NODE_MAJOR) {
    process.stderr.write(
      `[bench] node ${process.version}: the figures are for Node ${MINIMUM_NODE_MAJOR}; run it with \`npm run bench\`\n`,
    );
    return 2;
  }
  const stops: Array<() => Promise<void>> = [];
  try {
    const report = await benchmark(options, stops);
    process.stdout.write(`${formatReport(report)}\n`);
    await writeReport(report, RESULTS_FILE);
    progress(`results written to ${RESULTS_FILE}`);
    // Failed requests make the numbers meaningless: say so in the exit status too.
    return anyFailure(report) ? 1 : 0;
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
