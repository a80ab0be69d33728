/**
 * `npx tsx bench/metrics-overhead.ts`: what collecting metrics costs. Two Tessera processes on
 * one scratch PostgreSQL, one with METRICS_PORT set and one without, measured alternately under
 * the same load: requests per second and CPU time per request (the server process's own
 * utime + stime from /proc, so the load generator's CPU is not counted), medians of the rounds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../adapters/postgres/free-port.js';
import { createLogger } from '../server/logger.js';
import { type LoadRequest, runLoad } from './load.js';
import { startScratchPostgres } from './scratch-postgres.js';
import { basicAuthorization } from './target.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SETTINGS = { durationSeconds: Number(process.env['BENCH_DURATION'] ?? 5), connections: 16 };
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100;

interface Server {
  name: string;
  issuer: string;
  process: ChildProcess;
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function startServer(name: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), ISSUER: issuer, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const ready = await fetch(`${issuer}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { name, issuer, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`${name} did not start`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main() {
  const database = await startScratchPostgres(createLogger('silent'));
  const admin = { clientId: 'bench-admin', clientSecret: randomBytes(32).toString('base64url') };
  const common = {
    DATABASE_URL: database.url,
    SEALING_KEY: randomBytes(32).toString('base64'),
    ADMIN_CLIENT_ID: admin.clientId,
    ADMIN_CLIENT_SECRET: admin.clientSecret,
  };
  const servers: Server[] = [];
  try {
    servers.push(await startServer('metrics off', common));
    servers.push(await startServer('metrics on', { ...common, METRICS_PORT: String(await freePort()) }));
    const scenarios: Array<{ name: string; request: (server: Server) => LoadRequest }> = [
      { name: 'discovery', request: (s) => ({ origin: s.issuer, method: 'GET', path: '/.well-known/openid-configuration', headers: {} }) },
      { name: 'jwks', request: (s) => ({ origin: s.issuer, method: 'GET', path: '/jwks', headers: {} }) },
      {
        name: 'client_credentials',
        request: (s) => ({
          origin: s.issuer,
          method: 'POST',
          path: '/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthorization(admin) },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${s.issuer}/api/v2/`, scope: 'read:users' }).toString(),
        }),
      },
    ];
    const lines = [
      '| scenario | off req/s | on req/s | ratio | off CPU µs/req | on CPU µs/req | CPU ratio |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ];
    for (const scenario of scenarios) {
      const rates = new Map<string, number[]>();
      const cpu = new Map<string, number[]>();
      for (let round = 0; round < ROUNDS; round += 1) {
        // Alternate which goes first, so neither always runs on a machine warmed by the other.
        for (const server of round % 2 ? [...servers].reverse() : servers) {
          const pid = server.process.pid ?? 0;
          const before = await cpuSeconds(pid);
          const result = await runLoad(scenario.request(server), SETTINGS);
          const used = (await cpuSeconds(pid)) - before;
          if (result.non2xx || result.errors)
            throw new Error(`${scenario.name} on ${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          rates.set(server.name, [...(rates.get(server.name) ?? []), result.requestsPerSecond]);
          cpu.set(server.name, [...(cpu.get(server.name) ?? []), (used / result.responses) * 1e6]);
          process.stderr.write(
            `[bench] ${scenario.name} round ${round + 1} ${server.name}: ${Math.round(result.requestsPerSecond)} req/s\n`,
          );
        }
      }
      const [off, on] = servers.map((server) => ({
        rate: median(rates.get(server.name) ?? []),
        cpu: median(cpu.get(server.name) ?? []),
      })) as [{ rate: number; cpu: number }, { rate: number; cpu: number }];
      lines.push(
        `| ${scenario.name} | ${Math.round(off.rate)} | ${Math.round(on.rate)} | ${(on.rate / off.rate).toFixed(3)} | ${off.cpu.toFixed(1)} | ${on.cpu.toFixed(1)} | ${(on.cpu / off.cpu).toFixed(3)} |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const server of servers) server.process.kill('SIGTERM');
    await Promise.all(servers.map((server) => new Promise((resolve) => server.process.once('exit', resolve))));
    await database.stop();
  }
}

await main();
process.exit(0);
