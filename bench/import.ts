/**
 * `npm run bench:import`: Auth0's bulk users import at scale, against Tessera compiled and in a
 * process of its own as `npm start` runs it. 100,000 generated users with bcrypt hashes (a few
 * hashes, reused: bcrypt is slow by design, and the import never hashes) are uploaded through
 * POST /api/v2/jobs/users-imports twice, each into a connection of its own:
 *   1. alone, for the import's own time and the server's CPU per user;
 *   2. while password logins run through the login form, whose rate is compared with the rate
 *      measured just before and just after in the same run (the ratio is what a shared machine
 *      lets us trust; absolute rates are noisy).
 * Options: --users=N (100000), --target=postgres|embedded|redis (postgres), --concurrency=N
 * logins at a time (4), --baseline=S seconds per login baseline (10).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/bcrypt';
import { clientCredentialsToken, managementClient } from '../test/support/management-client.js';
import { loginsUntil, measureLogins } from './login-rate.js';
import type { ServerProcess } from './server-host.js';
import { ratio } from './stats.js';
import { isTesseraTargetName, startTesseraTarget } from './tessera-targets.js';

const progress = (message: string) => process.stderr.write(`[bench:import] ${message}\n`);

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    target: { type: 'string', default: 'postgres' },
    concurrency: { type: 'string', default: '4' },
    baseline: { type: 'string', default: '10' },
  },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const BASELINE_SECONDS = Number(values.baseline);
const TARGET = values.target;
if (!isTesseraTargetName(TARGET)) throw new Error(`--target must be embedded, postgres or redis, not ${TARGET}`);
const DISTINCT_HASHES = 4;
const POLL_MS = 200;

/** Auth0's bulk-import file: a JSON array, each user with a bcrypt password_hash. */
async function generateFile(prefix: string): Promise<string> {
  const hashes = await Promise.all(Array.from({ length: DISTINCT_HASHES }, (_, index) => hash(`imported password ${index}`, 10)));
  const users = Array.from({ length: USERS }, (_, index) => ({
    email: `${prefix}-${index}@example.com`,
    email_verified: index % 3 !== 0,
    user_id: `${prefix}-${index}`,
    given_name: 'Imported',
    family_name: `User ${index}`,
    user_metadata: { plan: index % 2 === 0 ? 'free' : 'pro', index },
    app_metadata: { migrated_from: 'auth0' },
    password_hash: hashes[index % DISTINCT_HASHES],
  }));
  return JSON.stringify(users);
}

interface ImportRun {
  seconds: number;
  summary: unknown;
  serverCpuSeconds: number;
  peakRssBytes: number;
}

async function runImport(server: ServerProcess, token: string, connectionId: string, file: string): Promise<ImportRun> {
  const before = await server.usage();
  const started = performance.now();
  const form = new FormData();
  form.append('users', new Blob([file], { type: 'application/json' }), 'users.json');
  form.append('connection_id', connectionId);
  form.append('send_completion_email', 'false');
  const response = await fetch(`${server.issuer}/api/v2/jobs/users-imports`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  const created = (await response.json()) as { id?: string };
  if (response.status !== 201 || !created.id) throw new Error(`the import was refused: ${response.status} ${JSON.stringify(created)}`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const job = (await (
      await fetch(`${server.issuer}/api/v2/jobs/${created.id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { status: string; summary?: unknown; failure?: string };
    if (job.status === 'failed') throw new Error(`the import failed: ${job.failure}`);
    if (job.status === 'completed') {
      const seconds = (performance.now() - started) / 1000;
      const after = await server.usage();
      return {
        seconds,
        summary: job.summary,
        serverCpuSeconds: (after.cpuMicros - before.cpuMicros) / 1e6,
        peakRssBytes: after.peakRssBytes,
      };
    }
  }
}

async function main(): Promise<void> {
  progress(`generating ${USERS} users with ${DISTINCT_HASHES} distinct bcrypt hashes`);
  const aloneFile = await generateFile('alone');
  const duringFile = await generateFile('during');
  progress(`file: ${(Buffer.byteLength(aloneFile) / 1024 / 1024).toFixed(1)} MB; starting Tessera (${TARGET})`);
  const server = await startTesseraTarget(TARGET as Parameters<typeof startTesseraTarget>[0]);
  try {
    const token = await clientCredentialsToken(server.issuer, undefined, server.machineClient);
    const admin = managementClient(server.issuer, token);
    const connection = async (name: string) =>
      (await admin.connections.create.mutate({ name: `${name}-${randomBytes(3).toString('hex')}`, strategy: 'database' })).id;
    const aloneConnection = await connection('Imported-alone');
    const duringConnection = await connection('Imported-during');

    progress(`password logins for ${BASELINE_SECONDS}s before the imports (${CONCURRENCY} at a time)`);
    const before = await measureLogins(server, { concurrency: CONCURRENCY, durationSeconds: BASELINE_SECONDS });
    progress('import alone');
    const alone = await runImport(server, token, aloneConnection, aloneFile);
    progress('import while password logins run');
    let importing = true;
    const loginsDuring = loginsUntil(server, CONCURRENCY, () => !importing);
    const during = await runImport(server, token, duringConnection, duringFile).finally(() => {
      importing = false;
    });
    const duringLogins = await loginsDuring;
    progress(`password logins for ${BASELINE_SECONDS}s after the imports`);
    const after = await measureLogins(server, { concurrency: CONCURRENCY, durationSeconds: BASELINE_SECONDS });

    const baseline = (before.perSecond + after.perSecond) / 2;
    const report = {
      target: TARGET,
      /** The machine's 1-minute load average at the end: how shared the cores were. */
      loadAverage: Number((loadavg()[0] ?? 0).toFixed(1)),
      users: USERS,
      fileMegabytes: Number((Buffer.byteLength(aloneFile) / 1024 / 1024).toFixed(1)),
      importAlone: { ...alone, usersPerSecond: USERS / alone.seconds, serverCpuMicrosPerUser: (alone.serverCpuSeconds * 1e6) / USERS },
      importDuringLogins: { ...during, usersPerSecond: USERS / during.seconds },
      logins: { before, during: duringLogins, after, duringOverBaseline: ratio(duringLogins.perSecond, baseline) },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        `| users | import alone | import during logins | logins/s before | during | after | during / mean(before, after) |`,
        `| ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
        `| ${USERS} | ${alone.seconds.toFixed(1)} s | ${during.seconds.toFixed(1)} s | ${before.perSecond.toFixed(1)} | ${duringLogins.perSecond.toFixed(1)} | ${after.perSecond.toFixed(1)} | ${report.logins.duringOverBaseline.toFixed(2)} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await server.stop();
  }
}

await main();
