/**
 * `npx tsx bench/cache.ts`: userinfo and users.get with the profile cache hot, cold and off,
 * for the in-process LRU and for Redis, beside the bare oidc-provider baseline at userinfo.
 *
 * One scratch PostgreSQL and one redis-server for the whole run; Tessera is started twice on
 * that database, first without REDIS_URL (LRU), then with it (Redis). Each block measures, in
 * order: the baseline's userinfo, hot userinfo, the baseline's again, hot users.get, cold
 * userinfo, cold users.get, off userinfo, off users.get; then the cache read latencies; then,
 * if hot userinfo is under the 0.8 goal (or BENCH_PROFILE=1), a profile of hot userinfo.
 *
 * BENCH_DURATION (s per run, 10), BENCH_CONNECTIONS (10), BENCH_HOT_USERS (100),
 * BENCH_COLD_USERS (2000 × BENCH_DURATION), BENCH_WARMUP (s, 3), BENCH_PROFILE (auto | 1 | 0), BENCH_PROFILE_DURATION (s, 5).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Op, QueryTypes } from 'sequelize';
import type { ProfileCache } from '../adapters/cache/profile-cache.js';
import { SequelizeAdapter } from '../adapters/oidc/sequelize-adapter.js';
import { freePort } from '../adapters/postgres/free-port.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import type { Profile } from '../server/profiles/profile.js';
import { startTessera, type Tessera } from '../server/tessera.js';
import { startBaselineProvider } from './baseline-provider.js';
import { inBatches, managementToken, mintUserTokens, profileLoader, randomSecret, seedBenchUsers, usersGetPath } from './cache-fixtures.js';
import {
  cacheDelta,
  cpuDuringRun,
  type Latency,
  memoize,
  profileCpu,
  recordSteps,
  summarize,
  timeSequentially,
  timeWithCpu,
} from './cache-measure.js';
import {
  type Backend,
  type BaselineRun,
  type CacheReport,
  type CacheRun,
  type Endpoint,
  formatCacheReport,
  MODE_MEANING,
  type Mode,
  type ReadLatency,
  type StepProfile,
  writeCacheReport,
} from './cache-report.js';
import { failures, type LoadRequest, type LoadResult, type LoadSettings, runLoad } from './load.js';
import { issueUserTokens } from './login.js';
import { startRedisServer } from './redis-server.js';
import { describeMachine } from './report.js';
import { startScratchPostgres } from './scratch-postgres.js';
import { seedUser, seedWebClient } from './seed.js';
import { type ClientCredentials, REDIRECT_URI, type Target } from './target.js';

const RESULTS_FILE = fileURLToPath(new URL('./results/cache.json', import.meta.url));
const GOAL_RATIO = 0.8;
const LATENCY_SAMPLES = 2000;
const STEP_SAMPLES = 1000;

function integerFromEnv(name: string, fallback: number, minimum = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer >= ${minimum}, got "${raw}"`);
  return value;
}

const progress = (message: string) => process.stderr.write(`[bench:cache] ${message}\n`);

interface Settings extends LoadSettings {
  readonly hotUsers: number;
  readonly coldUsers: number;
  readonly warmupSeconds: number;
  readonly profile: 'auto' | 'always' | 'never';
  readonly profileSeconds: number;
}

/** Runs the load while sampling CPU in its middle (timed from the moment the load generator starts). */
async function measureLoad(request: LoadRequest, settings: LoadSettings) {
  let started = () => {};
  const loadStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const [load, cpu] = await Promise.all([
    runLoad(request, settings, () => started()),
    loadStarted.then(() => cpuDuringRun(settings.durationSeconds)),
  ]);
  return { load, cpu };
}

function userinfoRequest(issuer: string, tokens: readonly string[]): LoadRequest {
  return {
    origin: issuer,
    method: 'GET',
    path: '/userinfo',
    headers: {},
    variants: tokens.map((token) => ({ headers: { authorization: `Bearer ${token}` } })),
  };
}

function usersGetRequest(issuer: string, token: string, ids: readonly string[]): LoadRequest {
  return {
    origin: issuer,
    method: 'GET',
    path: usersGetPath(ids[0] ?? ''),
    headers: { authorization: `Bearer ${token}` },
    variants: ids.map((id) => ({ path: usersGetPath(id) })),
  };
}

async function expectOk(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 300)}`);
}

/** The shared fixtures, made by the first Tessera and reused by the second (same database). */
interface Seeded {
  readonly webClient: ClientCredentials;
  readonly loginForm: Record<string, string>;
  readonly userIds: readonly string[];
}

interface BlockResult {
  runs: CacheRun[];
  baseline: BaselineRun;
  readLatency: ReadLatency[];
  profile: StepProfile | undefined;
}

/** One key for the run: every Tessera it starts opens what the ones before it sealed. */
const SEALING_KEY = randomBytes(32).toString('base64');

async function startTesseraFor(backend: Backend, databaseUrl: string, redisUrl: string, admin: ClientCredentials): Promise<Tessera> {
  const port = await freePort();
  return startTessera(
    loadConfig({
      PORT: String(port),
      ISSUER: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      ...(backend === 'redis' ? { REDIS_URL: redisUrl } : {}),
      ADMIN_CLIENT_ID: admin.clientId,
      ADMIN_CLIENT_SECRET: admin.clientSecret,
      SEALING_KEY,
      LOG_LEVEL: 'silent',
    }),
    createLogger('silent'),
  );
}

/** Makes every profile read skip the cache: no lookup and no store, the loader alone. */
function bypass(cache: ProfileCache<Profile>): () => void {
  const original = cache.read;
  cache.read = (_id, load) => load();
  return () => {
    cache.read = original;
  };
}

function invalidateAll(cache: ProfileCache<Profile>, ids: readonly string[]) {
  return inBatches(ids, 32, (id) => cache.invalidate(id));
}

/** Server-side time per request, from the request event to the response's finish. */
function timeRequests(server: Server): { durations: number[]; stop(): void } {
  const durations: number[] = [];
  const listener = (_request: unknown, response: import('node:http').ServerResponse) => {
    const start = performance.now();
    response.once('finish', () => durations.push(performance.now() - start));
  };
  server.prependListener('request', listener);
  return { durations, stop: () => server.off('request', listener) };
}

const FIND_PAYLOAD_SQL = `SELECT payload, consumed_at FROM oidc_payloads
  WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`;

/** One oidc_payloads row read through a Sequelize model, through sequelize.query, through Tessera's adapter as it is now, and through pg with a named prepared statement. */
async function queryCost(tessera: Tessera, databaseUrl: string, grantId: string): Promise<StepProfile['queryCost']> {
  const adapter = new SequelizeAdapter('Grant', tessera.database.models);
  const { OidcPayload } = tessera.database.models;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const expect = (found: unknown) => {
      if (!found) throw new Error('query cost: grant row not found');
    };
    return {
      'Model.findOne (the adapter before a1617ba)': await timeWithCpu(STEP_SAMPLES, async () =>
        expect(
          await OidcPayload.findOne({
            where: { model: 'Grant', id: grantId, [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: new Date() } }] },
          }),
        ),
      ),
      'sequelize.query (the adapter before the pooled client)': await timeWithCpu(STEP_SAMPLES, async () =>
        expect((await tessera.database.sequelize.query(FIND_PAYLOAD_SQL, { bind: ['Grant', grantId], type: QueryTypes.SELECT }))[0]),
      ),
      'SequelizeAdapter.find (pooled pg client, unnamed, working tree)': await timeWithCpu(STEP_SAMPLES, async () =>
        expect(await adapter.find(grantId)),
      ),
      'pg, named prepared statement': await timeWithCpu(STEP_SAMPLES, async () =>
        expect((await client.query({ name: 'bench-find-payload', text: FIND_PAYLOAD_SQL, values: ['Grant', grantId] })).rows[0]),
      ),
    };
  } finally {
    await client.end();
  }
}

async function profileHotUserinfo(
  backend: Backend,
  tessera: Tessera,
  databaseUrl: string,
  hotTokens: readonly string[],
  hotIds: readonly string[],
  baseline: { target: Target; token: string },
  baselineRequestsPerSecond: number | undefined,
  settings: Settings,
): Promise<StepProfile> {
  const { provider } = tessera.services.providers;
  const token = hotTokens[0] ?? '';
  const accessToken = await provider.AccessToken.find(token);
  if (!accessToken) throw new Error('profile: hot token not found');
  const { clientId, grantId } = accessToken;
  if (!clientId) throw new Error('profile: hot token has no client');
  const hotId = hotIds[0] ?? '';
  const headers = { authorization: `Bearer ${token}` };

  progress(`${backend}: profiling hot userinfo, each step alone`);
  const sequential: Record<string, Latency> = {
    'AccessToken.find': await timeSequentially(STEP_SAMPLES, () => provider.AccessToken.find(token)),
    'Client.find': await timeSequentially(STEP_SAMPLES, () => provider.Client.find(clientId)),
    'Grant.find': await timeSequentially(STEP_SAMPLES, () => provider.Grant.find(grantId, { ignoreExpiration: true })),
    'findAccount (profiles.getProfile, hot)': await timeSequentially(STEP_SAMPLES, () => tessera.services.profiles.getProfile(hotId)),
    'whole request, server side': summarize([]),
    'whole request, seen by fetch': await timeSequentially(STEP_SAMPLES, () => expectOk(`${tessera.url}/userinfo`, headers)),
    'baseline: whole request, seen by fetch': await timeSequentially(STEP_SAMPLES, () =>
      expectOk(`${baseline.target.issuer}/userinfo`, { authorization: `Bearer ${baseline.token}` }),
    ),
  };
  // The server-side time of the same sequential requests.
  const serverTimes = timeRequests(tessera.server);
  for (let index = 0; index < STEP_SAMPLES; index += 1) await expectOk(`${tessera.url}/userinfo`, headers);
  serverTimes.stop();
  sequential['whole request, server side'] = summarize(serverTimes.durations);

  progress(`${backend}: cost of one row read through Sequelize and without it`);
  const costs = await queryCost(tessera, databaseUrl, grantId);

  progress(`${backend}: profiling hot userinfo under load for ${settings.profileSeconds} s`);
  const recorder = recordSteps([
    { label: 'AccessToken.find', object: provider.AccessToken, method: 'find' },
    { label: 'Client.find', object: provider.Client, method: 'find' },
    { label: 'Grant.find', object: provider.Grant, method: 'find' },
    { label: 'findAccount (profiles.getProfile, hot)', object: tessera.services.profiles, method: 'getProfile' },
  ]);
  const inServer = timeRequests(tessera.server);
  let measured: { load: LoadResult; cpu: Awaited<ReturnType<typeof cpuDuringRun>> } | undefined;
  let cpuProfile: Awaited<ReturnType<typeof profileCpu>> | undefined;
  try {
    cpuProfile = await profileCpu(async () => {
      measured = await measureLoad(userinfoRequest(tessera.url, hotTokens), { ...settings, durationSeconds: settings.profileSeconds });
    });
  } finally {
    inServer.stop();
    recorder.restore();
  }
  if (!measured) throw new Error('profile run did not complete');
  const requests = Math.max(1, measured.load.responses);
  const steps = Object.fromEntries([...recorder.steps].map(([label, timing]) => [label, { ...timing, meanMs: timing.totalMs / requests }]));
  progress(`${backend}: what-if runs with lookups memoized in process`);
  const whatIf: StepProfile['whatIf'][number][] = [];
  const memoRuns: Array<{ label: string; targets: Array<{ object: object; method: string }> }> = [
    { label: 'AccessToken.find', targets: [{ object: provider.AccessToken, method: 'find' }] },
    {
      label: 'Client.find, Grant.find, AccessToken.find',
      targets: [
        { object: provider.Client, method: 'find' },
        { object: provider.Grant, method: 'find' },
        { object: provider.AccessToken, method: 'find' },
      ],
    },
  ];
  for (const { label, targets } of memoRuns) {
    const restore = memoize(targets);
    try {
      const { load, cpu } = await measureLoad(userinfoRequest(tessera.url, hotTokens), {
        ...settings,
        durationSeconds: settings.profileSeconds,
      });
      const nodeCpu = cpu?.['bench process (servers)'];
      whatIf.push({
        label,
        requestsPerSecond: load.requestsPerSecond,
        p99Ms: load.p99Ms,
        ratio: baselineRequestsPerSecond ? load.requestsPerSecond / baselineRequestsPerSecond : undefined,
        nodeCpuMsPerRequest: nodeCpu !== undefined && load.requestsPerSecond > 0 ? nodeCpu / load.requestsPerSecond : undefined,
        failed: failures(load) > 0,
      });
    } finally {
      restore();
    }
  }

  return {
    backend,
    sequential,
    whatIf,
    queryCost: costs,
    underLoad: {
      seconds: settings.profileSeconds,
      requestsPerSecond: measured.load.requestsPerSecond,
      inServerMeanMs: summarize(inServer.durations).meanMs,
      steps,
      cpu: measured.cpu,
      cpuProfile,
    },
  };
}

async function block(
  backend: Backend,
  tessera: Tessera,
  databaseUrl: string,
  seeded: Seeded,
  admin: ClientCredentials,
  baseline: { target: Target; token: string },
  settings: Settings,
): Promise<BlockResult> {
  const issuer = tessera.url;
  const cache = tessera.services.profileCache;
  const ids = seeded.userIds;
  const hotIds = ids.slice(0, settings.hotUsers);
  const target: Target = {
    name: 'tessera',
    issuer,
    machineClient: admin,
    webClient: seeded.webClient,
    loginForm: seeded.loginForm,
    stop: () => tessera.stop(),
  };

  progress(`${backend}: minting ${ids.length} user access tokens`);
  const tokens = await mintUserTokens(tessera, target, ids, progress);
  const hotTokens = tokens.slice(0, settings.hotUsers);
  const apiToken = await managementToken(issuer, admin, 'read:users');
  await expectOk(`${issuer}${usersGetPath(ids[0] ?? '')}`, { authorization: `Bearer ${apiToken}` });

  const runs: CacheRun[] = [];
  let baselineRun: BaselineRun | undefined;
  const run = async (mode: Mode, endpoint: Endpoint, request: LoadRequest, users: number) => {
    progress(`${backend}: ${mode} ${endpoint} over ${users} users for ${settings.durationSeconds} s`);
    const before = cache.stats();
    const { load, cpu } = await measureLoad(request, settings);
    const delta = cacheDelta(before, cache.stats());
    const baselineRps = endpoint === 'userinfo' ? baselineRun?.requestsPerSecond : undefined;
    runs.push({
      backend,
      mode,
      endpoint,
      // A cold run reaches one new user per request: as many as it served.
      users: mode === 'cold' ? Math.min(users, load.responses) : users,
      load,
      cache: delta,
      cpu,
      baselineRequestsPerSecond: baselineRps,
      ratio: baselineRps ? load.requestsPerSecond / baselineRps : undefined,
      failed: failures(load) > 0,
    });
    // A cold run must never have found what it looked for; say so loudly if it did.
    if (mode === 'cold' && delta.hits > 0) progress(`WARNING: ${backend} cold ${endpoint} had ${delta.hits} hits: raise BENCH_COLD_USERS`);
    if (mode === 'cold' && load.responses > users)
      progress(`WARNING: ${backend} cold ${endpoint} served ${load.responses} requests for ${users} users`);
  };

  // ---- hot ----
  progress(`${backend}: warming ${hotIds.length} users and the JIT (${settings.warmupSeconds} s)`);
  for (const token of hotTokens) await expectOk(`${issuer}/userinfo`, { authorization: `Bearer ${token}` });
  for (const id of hotIds) await expectOk(`${issuer}${usersGetPath(id)}`, { authorization: `Bearer ${apiToken}` });
  const warmup = { ...settings, durationSeconds: settings.warmupSeconds };
  await runLoad(userinfoRequest(issuer, hotTokens), warmup);
  await runLoad(usersGetRequest(issuer, apiToken, hotIds), warmup);
  await runLoad(userinfoRequest(baseline.target.issuer, [baseline.token]), warmup);

  // The baseline on both sides of the hot userinfo run, whose ratio is then filled in: two
  // measurements of the same server minutes apart differ noticeably on a small shared machine.
  const measureBaseline = (when: string) => {
    progress(`${backend}: baseline userinfo (${when}) for ${settings.durationSeconds} s`);
    return measureLoad(userinfoRequest(baseline.target.issuer, [baseline.token]), settings);
  };
  const before = await measureBaseline('before');
  await run('hot', 'userinfo', userinfoRequest(issuer, hotTokens), hotIds.length);
  const after = await measureBaseline('after');
  baselineRun = {
    measuredWith: backend,
    before,
    after,
    requestsPerSecond: (before.load.requestsPerSecond + after.load.requestsPerSecond) / 2,
    failed: failures(before.load) + failures(after.load) > 0,
  };
  const hot = runs[0];
  if (hot) {
    const baselineRps = baselineRun.requestsPerSecond;
    runs[0] = { ...hot, baselineRequestsPerSecond: baselineRps, ratio: baselineRps ? hot.load.requestsPerSecond / baselineRps : undefined };
  }
  await run('hot', 'users.get', usersGetRequest(issuer, apiToken, hotIds), hotIds.length);

  // ---- cold: every user once, after an invalidation of all of them ----
  await invalidateAll(cache, ids);
  await run('cold', 'userinfo', userinfoRequest(issuer, tokens), ids.length);
  await invalidateAll(cache, ids);
  await run('cold', 'users.get', usersGetRequest(issuer, apiToken, ids), ids.length);

  // ---- off: the hot users, with the cache bypassed ----
  const restore = bypass(cache);
  try {
    await run('off', 'userinfo', userinfoRequest(issuer, hotTokens), hotIds.length);
    await run('off', 'users.get', usersGetRequest(issuer, apiToken, hotIds), hotIds.length);
  } finally {
    restore();
  }

  // ---- profileCache.read latency ----
  progress(`${backend}: cache read latency`);
  const load = profileLoader(tessera);
  const readLatency: ReadLatency[] = [];
  const timeReads = async (path: ReadLatency['path'], samples: number, read: (index: number) => Promise<unknown>) => {
    const before = cache.stats();
    const latency = await timeSequentially(samples, read);
    readLatency.push({ backend, path, latency, cache: cacheDelta(before, cache.stats()) });
  };
  for (const id of hotIds) await cache.read(id, () => load(id));
  await timeReads('hot (hit)', LATENCY_SAMPLES, (index) => {
    const id = hotIds[index % hotIds.length] ?? '';
    return cache.read(id, () => load(id));
  });
  await invalidateAll(cache, ids);
  await timeReads('cold (miss + SQL + store)', Math.min(LATENCY_SAMPLES, ids.length), (index) => {
    const id = ids[index] ?? '';
    return cache.read(id, () => load(id));
  });
  await timeReads('off (SQL loader only)', LATENCY_SAMPLES, (index) => load(ids[index % ids.length] ?? ''));

  // ---- profile ----
  const hotRatio = runs[0]?.ratio ?? 0;
  const wanted = settings.profile === 'always' || (settings.profile === 'auto' && hotRatio < GOAL_RATIO);
  for (const id of hotIds) await cache.read(id, () => load(id));
  const profile = wanted
    ? await profileHotUserinfo(backend, tessera, databaseUrl, hotTokens, hotIds, baseline, baselineRun.requestsPerSecond, settings)
    : undefined;

  return { runs, baseline: baselineRun, readLatency, profile };
}

async function benchmark(settings: Settings, stops: Array<() => Promise<void>>): Promise<CacheReport> {
  progress('starting a scratch PostgreSQL');
  const database = await startScratchPostgres(createLogger('silent'));
  stops.push(() => database.stop());
  progress('starting redis-server');
  const redis = await startRedisServer();
  stops.push(() => redis.stop());
  progress('starting the bare oidc-provider baseline');
  const baselineTarget = await startBaselineProvider();
  stops.push(() => baselineTarget.stop());
  const { accessToken: baselineToken } = await issueUserTokens(baselineTarget, 0);

  const admin = { clientId: 'bench-admin-client', clientSecret: randomSecret() };
  let seeded: Seeded | undefined;
  const runs: CacheRun[] = [];
  const baselines: BaselineRun[] = [];
  const readLatency: ReadLatency[] = [];
  const profiles: StepProfile[] = [];

  for (const backend of ['lru', 'redis'] as const) {
    progress(`${backend}: starting Tessera${backend === 'redis' ? ` with REDIS_URL=${redis.url}` : ' without REDIS_URL'}`);
    const tessera = await startTesseraFor(backend, database.url, redis.url, admin);
    const stop = () => tessera.stop();
    stops.push(stop);
    try {
      if (!seeded) {
        const webClient = await seedWebClient(tessera, REDIRECT_URI);
        const user = await seedUser(tessera);
        progress(`seeding ${settings.coldUsers} users`);
        const userIds = await seedBenchUsers(tessera, settings.coldUsers);
        seeded = { webClient, loginForm: { username: user.username, password: user.password }, userIds };
      }
      const result = await block(backend, tessera, database.url, seeded, admin, { target: baselineTarget, token: baselineToken }, settings);
      runs.push(...result.runs);
      baselines.push(result.baseline);
      readLatency.push(...result.readLatency);
      if (result.profile) profiles.push(result.profile);
    } finally {
      stops.splice(stops.indexOf(stop), 1);
      await tessera.stop();
    }
  }

  const notes = [
    `cold runs use ${settings.coldUsers} users, each with its own minted access token, taken in turn and never repeated within a run; the cache is invalidated (its own invalidate()) before each cold run`,
    'off is measured by replacing read() on the running cache object (the same object the profile service reads through) with a direct call of the loader; no Tessera code changes',
    'the Redis block keeps access tokens in Redis (as Tessera does with REDIS_URL); grants and clients are in PostgreSQL in both blocks, memoized in process; without Redis (LRU block) access tokens are memoized in process too, and memo reads wait for the next turn of the event loop',
  ];
  return {
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: {
      durationSeconds: settings.durationSeconds,
      connections: settings.connections,
      hotUsers: settings.hotUsers,
      coldUsers: settings.coldUsers,
      warmupSeconds: settings.warmupSeconds,
    },
    modes: MODE_MEANING,
    runs,
    baselines,
    readLatency,
    profiles,
    notes,
  };
}

function profileSetting(): Settings['profile'] {
  const raw = process.env['BENCH_PROFILE'] ?? 'auto';
  if (raw === 'auto' || raw === '') return 'auto';
  if (raw === '1' || raw === 'true') return 'always';
  if (raw === '0' || raw === 'false') return 'never';
  throw new Error(`BENCH_PROFILE must be auto, 1 or 0, got "${raw}"`);
}

async function main(): Promise<number> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const settings: Settings = {
      durationSeconds: integerFromEnv('BENCH_DURATION', 10),
      connections: integerFromEnv('BENCH_CONNECTIONS', 10),
      hotUsers: integerFromEnv('BENCH_HOT_USERS', 100),
      // One new user per cold request: the default leaves room for a cold rate well above any measured.
      coldUsers: integerFromEnv('BENCH_COLD_USERS', 2000 * integerFromEnv('BENCH_DURATION', 10)),
      warmupSeconds: integerFromEnv('BENCH_WARMUP', 3),
      profile: profileSetting(),
      profileSeconds: integerFromEnv('BENCH_PROFILE_DURATION', 5),
    };
    if (settings.coldUsers < settings.hotUsers) throw new Error('BENCH_COLD_USERS must be at least BENCH_HOT_USERS');
    const report = await benchmark(settings, stops);
    process.stdout.write(`${formatCacheReport(report)}\n`);
    await writeCacheReport(report, RESULTS_FILE);
    progress(`results written to ${RESULTS_FILE}`);
    const failed = report.runs.some((run) => run.failed) || report.baselines.some((run) => run.failed);
    return failed ? 1 : 0;
  } catch (error) {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => progress(`stop failed: ${String(error)}`));
    }
  }
}

// Pools and timers of libraries we do not own may keep the loop alive after everything is stopped.
process.exit(await main());
