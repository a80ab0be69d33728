/**
 * `npm run bench`'s options, from BENCH_* environment variables and command-line flags (flags
 * win): how long and how hard to load, how many rounds, which Tessera targets and scenarios.
 */
import { isTesseraTargetName, TESSERA_TARGET_NAMES, type TesseraTargetName } from './tessera-targets.js';

/** The password-login measurement's name among the scenarios. */
export const LOGINS = 'logins';

/** Logins (and raw verifications) at a time, unless told otherwise. */
export const LOGIN_CONCURRENCY = 4;

export interface BenchOptions {
  readonly durationSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  readonly loginConcurrency: number;
  readonly loginDurationSeconds: number;
  readonly targets: readonly TesseraTargetName[];
  /** Scenario names to run (LOGINS among them); every one when undefined. */
  readonly scenarios: readonly string[] | undefined;
}

export const USAGE = `npm run bench [-- flags]
  --targets=embedded,postgres,redis   Tessera setups, each its own table (BENCH_TARGETS; default embedded)
  --redis, --postgres, --all-targets  add the redis or postgres target, or take all three
  --scenarios=discovery,logins,...    only these scenarios (BENCH_SCENARIOS; default all, "logins" the password logins)
  --rounds=N                          alternating rounds, medians reported (BENCH_ROUNDS; default 3)
  --duration=S                        seconds per scenario, server and round (BENCH_DURATION; default 10)
  --connections=N                     autocannon connections, the same for every server (BENCH_CONNECTIONS; default 16)
  --login-concurrency=N               logins and verifications at a time (BENCH_LOGIN_CONCURRENCY; default ${LOGIN_CONCURRENCY})
  --login-duration=S                  seconds per login measurement (BENCH_LOGIN_DURATION; default 10)`;

export class OptionsError extends Error {
  override name = 'OptionsError';
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new OptionsError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function targetList(raw: string): TesseraTargetName[] {
  return list(raw).map((name) => {
    if (!isTesseraTargetName(name)) throw new OptionsError(`unknown target "${name}" (known: ${TESSERA_TARGET_NAMES.join(', ')})`);
    return name;
  });
}

export function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv, knownScenarios: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new OptionsError(`unknown argument "${arg}"\n${USAGE}`);
    flags.set(match[1], match[2] ?? '');
  }
  const known = [
    'targets',
    'redis',
    'postgres',
    'all-targets',
    'scenarios',
    'rounds',
    'duration',
    'connections',
    'login-concurrency',
    'login-duration',
  ];
  for (const flag of flags.keys()) if (!known.includes(flag)) throw new OptionsError(`unknown flag --${flag}\n${USAGE}`);
  const value = (flag: string, variable: string) => flags.get(flag) ?? env[variable];

  const targets = new Set<TesseraTargetName>(targetList(value('targets', 'BENCH_TARGETS') || 'embedded'));
  if (flags.has('redis')) targets.add('redis');
  if (flags.has('postgres')) targets.add('postgres');
  if (flags.has('all-targets')) for (const name of TESSERA_TARGET_NAMES) targets.add(name);

  const scenarioFilter = value('scenarios', 'BENCH_SCENARIOS');
  const scenarios = scenarioFilter ? list(scenarioFilter) : undefined;
  for (const name of scenarios ?? []) {
    if (name !== LOGINS && !knownScenarios.includes(name)) {
      throw new OptionsError(`unknown scenario "${name}" (known: ${[...knownScenarios, LOGINS].join(', ')})`);
    }
  }
  return {
    durationSeconds: positiveInteger('BENCH_DURATION', value('duration', 'BENCH_DURATION'), 10),
    connections: positiveInteger('BENCH_CONNECTIONS', value('connections', 'BENCH_CONNECTIONS'), 16),
    rounds: positiveInteger('BENCH_ROUNDS', value('rounds', 'BENCH_ROUNDS'), 3),
    loginConcurrency: positiveInteger('BENCH_LOGIN_CONCURRENCY', value('login-concurrency', 'BENCH_LOGIN_CONCURRENCY'), LOGIN_CONCURRENCY),
    loginDurationSeconds: positiveInteger('BENCH_LOGIN_DURATION', value('login-duration', 'BENCH_LOGIN_DURATION'), 10),
    targets: TESSERA_TARGET_NAMES.filter((name) => targets.has(name)),
    scenarios,
  };
}
