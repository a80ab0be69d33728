import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../adapters/postgres/embedded.js';
import { freePort } from '../../adapters/postgres/free-port.js';
import { basicAuthorization } from '../../bench/target.js';
import { createLogger } from '../../server/logger.js';
import { Browser } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

type Surface = 'userinfo' | 'token' | 'trpc' | 'login page';
/** When an answer arrived: before PostgreSQL was stopped, while it was down, once it was started again. */
type Phase = 'before' | 'outage' | 'after';

interface Answer {
  surface: Surface;
  phase: Phase;
  status: number;
  retryAfter: string | null;
  contentType: string;
  body: string;
}

interface Readyz {
  status: number;
  retryAfter: string | null;
  body: Record<string, string>;
}

interface LogLine {
  level: number;
  msg: string;
}

const SURFACES: readonly Surface[] = ['userinfo', 'token', 'trpc', 'login page'];
const LOOPS_PER_SURFACE = 2;
// Bounded load: a pause between a loop's requests and a cap on each loop's count.
const PAUSE_MS = 20;
const MAX_REQUESTS_PER_LOOP = 1_500;
const OUTAGE_MS = 3_000;

describe.each([
  ['without Redis', false],
  ['with Redis', true],
])('when PostgreSQL stops for a few seconds under load, %s', (_, withRedis) => {
  const redisState = withRedis ? 'up' : 'not configured';
  const logLines: LogLine[] = [];
  const quiet = createLogger('silent');
  const answers: Answer[] = [];
  // Every token value handed out, to look for in the log.
  const seen = new Set<string>();
  const readiness: { before?: Readyz; during?: Readyz; after?: Readyz } = {};
  let livenessDuring: number | undefined;
  let dir: string;
  let postgres: EmbeddedDatabase | undefined;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;

  const keep = (tokens: { access_token?: unknown; refresh_token?: unknown; id_token?: unknown }) => {
    for (const value of [tokens.access_token, tokens.refresh_token, tokens.id_token]) if (typeof value === 'string') seen.add(value);
  };

  async function readyz(): Promise<Readyz> {
    const response = await fetch(`${tessera.issuer}/readyz`);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, string>,
    };
  }

  /** Four surfaces under load while PostgreSQL is stopped, with writes in flight, and started again. */
  async function runOutage(postgresPort: number) {
    const client = await createClient(tessera);
    user = await createUser(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const adminToken = await clientCredentialsToken(tessera.issuer);
    const basic = basicAuthorization({ clientId: client.client_id, clientSecret: client.client_secret });

    // One refresh chain per token loop, and spares for a chain that ends (a refresh token
    // consumed by a rotation whose answer the outage cut off is refused afterwards).
    const chains: Array<{ refreshToken: string; accessToken: string }> = [];
    for (let index = 0; index < LOOPS_PER_SURFACE * 3; index += 1) {
      const { tokens } = await login(config, { scope: 'openid profile offline_access', username: user.email, password: user.password });
      keep(tokens);
      chains.push({ refreshToken: tokens.refresh_token!, accessToken: tokens.access_token });
    }
    const authorizationUrl = oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
      })
      .toString();

    let phase: Phase = 'before';
    let running = true;
    const record = async (surface: Surface, response: Response): Promise<Answer> => {
      const body = await response.text();
      const answer = {
        surface,
        phase,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        contentType: response.headers.get('content-type') ?? '',
        body,
      };
      answers.push(answer);
      return answer;
    };

    const requests: Record<Surface, (loop: number) => Promise<void>> = {
      async userinfo(loop) {
        // Every other call with a token no memo holds, so that one reads PostgreSQL.
        const token = answers.length % 2 === 0 ? chains[loop]!.accessToken : randomBytes(32).toString('base64url');
        await record('userinfo', await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } }));
      },
      async token(loop) {
        const chain = chains[loop]!;
        const response = await fetch(`${tessera.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.refreshToken }),
        });
        const answer = await record('token', response);
        if (answer.status === 200) {
          const tokens = JSON.parse(answer.body) as { access_token: string; refresh_token: string };
          keep(tokens);
          chain.refreshToken = tokens.refresh_token;
          chain.accessToken = tokens.access_token;
        } else if (answer.status === 400) {
          const spare = chains.splice(LOOPS_PER_SURFACE, 1)[0];
          if (spare) chains[loop] = spare;
        }
      },
      async trpc() {
        const input = encodeURIComponent(JSON.stringify({ email: user.email }));
        await record(
          'trpc',
          await fetch(`${tessera.issuer}/trpc/users.getByEmail?input=${input}`, { headers: { authorization: `Bearer ${adminToken}` } }),
        );
      },
      async 'login page'() {
        const browser = new Browser();
        let url = authorizationUrl;
        let response = await browser.request(url);
        for (let hops = 0; hops < 5 && response.status >= 300 && response.status < 400; hops += 1) {
          url = new URL(response.headers.get('location')!, url).toString();
          response = await browser.request(url);
        }
        await record('login page', response);
      },
    };

    const loops = SURFACES.flatMap((surface) =>
      Array.from({ length: LOOPS_PER_SURFACE }, async (_, loop) => {
        for (let count = 0; running && count < MAX_REQUESTS_PER_LOOP; count += 1) {
          await requests[surface](loop);
          await sleep(PAUSE_MS);
        }
      }),
    );

    try {
      await sleep(1_000);
      readiness.before = await readyz();

      // Writes in flight when PostgreSQL stops: a lock holds every write to the artifacts
      // (refresh tokens being consumed, tokens being stored) until then. Without Redis, login
      // interactions live in the process and wait on nothing, so one waiting write is enough.
      const locker = new pg.Client({ connectionString: postgres!.url });
      locker.on('error', () => undefined);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE oidc_payloads IN EXCLUSIVE MODE');
      await waitFor(
        async () =>
          Number((await locker.query('SELECT count(*) AS waiting FROM pg_locks WHERE NOT granted')).rows[0].waiting) >= (withRedis ? 2 : 1),
        15_000,
      );
      phase = 'outage';
      await postgres!.stop();
      postgres = undefined;
      await locker.end().catch(() => undefined);
      readiness.during = await readyz();
      livenessDuring = (await fetch(`${tessera.issuer}/healthz`)).status;
      await sleep(OUTAGE_MS);
      postgres = await startEmbeddedPostgres(dir, quiet, { port: postgresPort });
      phase = 'after';

      await waitFor(async () => (await readyz()).status === 200, 30_000);
      readiness.after = await readyz();
      await waitFor(
        async () =>
          SURFACES.every((surface) =>
            answers.some((answer) => answer.surface === surface && answer.phase === 'after' && answer.status < 300),
          ),
        30_000,
      );
    } finally {
      running = false;
      await Promise.all(loops);
    }

    const byStatus = (during: Phase) =>
      Object.fromEntries(
        SURFACES.map((surface) => [
          surface,
          countBy(answers.filter((answer) => answer.surface === surface && answer.phase === during).map((answer) => answer.status)),
        ]),
      );
    console.info('answers by status during the outage', JSON.stringify(byStatus('outage')));
    console.info('answers by status after it', JSON.stringify(byStatus('after')));
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tessera-pg-outage-'));
    // The cluster runs as an unprivileged user when tests run as root; it must reach its folder.
    await chmod(dir, 0o755);
    const postgresPort = await freePort();
    postgres = await startEmbeddedPostgres(dir, quiet, { port: postgresPort });
    tessera = await startTestTessera({ redis: withRedis, databaseUrl: postgres.url, logger: createLogger('debug', logSink(logLines)) });
    await runOutage(postgresPort);
  }, 180_000);
  afterAll(async () => {
    await tessera?.stop();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const unavailable = (surface: Surface) => answers.filter((answer) => answer.surface === surface && answer.status === 503);

  it('never answers a 5xx other than 503', () => {
    expect(answers.filter((answer) => answer.phase === 'outage').length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
  });

  it('answers 503 temporarily_unavailable with Retry-After at /userinfo and /token', () => {
    for (const surface of ['userinfo', 'token'] as const) {
      expect(unavailable(surface).length).toBeGreaterThan(0);
      for (const answer of unavailable(surface)) {
        expect(answer.retryAfter).toMatch(/^\d+$/);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'temporarily_unavailable' });
      }
    }
  });

  it('refuses a refresh only when an interrupted rotation had already consumed its token', () => {
    for (const answer of answers.filter((answer) => answer.status === 400))
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers SERVICE_UNAVAILABLE (503) with Retry-After on the management API', () => {
    expect(unavailable('trpc').length).toBeGreaterThan(0);
    for (const answer of unavailable('trpc')) {
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 } } });
    }
  });

  // Without Redis the login page needs no PostgreSQL (its interaction is in the process, the
  // client's connections in the node's copy), so it may go on being served; with Redis it writes.
  it(`answers the login page ${withRedis ? 'with' : 'either as usual or with'} a 503 page saying to try again`, () => {
    const duringOutage = answers.filter((answer) => answer.surface === 'login page' && answer.phase === 'outage');
    if (withRedis) expect(unavailable('login page').length).toBeGreaterThan(0);
    else expect(duringOutage.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
    for (const answer of unavailable('login page')) {
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(answer.contentType).toMatch(/^text\/html/);
      expect(answer.body).toMatch(/try again/i);
    }
  });

  it('is not ready while PostgreSQL is down and ready once it is back, alive throughout', () => {
    expect(readiness.before).toMatchObject({ status: 200, body: { status: 'ready', postgres: 'up', redis: redisState } });
    expect(readiness.during).toMatchObject({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { status: 'not ready', postgres: 'down', redis: redisState },
    });
    expect(readiness.after).toMatchObject({ status: 200, body: { status: 'ready', postgres: 'up', redis: redisState } });
    expect(livenessDuring).toBe(200);
  });

  it('serves a whole new login, its userinfo and a refresh afterwards', async () => {
    const { tokens } = await login(config, { scope: 'openid profile offline_access', username: user.email, password: user.password });
    keep(tokens);
    expect((await oidc.fetchUserInfo(config, tokens.access_token, user.profile.user_id)).sub).toBe(user.profile.user_id);
    keep(await oidc.refreshTokenGrant(config, tokens.refresh_token!));
  });

  it('logs once that PostgreSQL is unreachable and once that it is back, with no error line and no stack trace', () => {
    // On a failure, the lines themselves (with their time and reason) say what was seen.
    const reachability = JSON.stringify(logLines.filter((line) => /^postgres (unreachable|back)/.test(line.msg)));
    expect(
      logLines.filter((line) => line.msg === 'postgres unreachable: answering 503 until it is back'),
      reachability,
    ).toHaveLength(1);
    expect(
      logLines.filter((line) => line.msg === 'postgres back'),
      reachability,
    ).toHaveLength(1);
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    expect(logLines.map((line) => JSON.stringify(line)).join('\n')).not.toMatch(/"stack"|\\n\s+at /);
  });

  it('logs none of the tokens, codes and grant ids it handed out or stored', async () => {
    const [rows] = (await tessera.database.sequelize.query(
      `SELECT id, grant_id FROM oidc_payloads WHERE model IN ('AuthorizationCode', 'AccessToken', 'RefreshToken', 'Grant', 'Session')`,
    )) as [Array<{ id: string; grant_id: string | null }>, unknown];
    for (const row of rows) {
      seen.add(row.id);
      if (row.grant_id) seen.add(row.grant_id);
    }
    expect(seen.size).toBeGreaterThan(LOOPS_PER_SURFACE * 3 * 3);
    const log = logLines.map((line) => JSON.stringify(line)).join('\n');
    expect([...seen].filter((value) => log.includes(value))).toEqual([]);
  });
});

function countBy(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
