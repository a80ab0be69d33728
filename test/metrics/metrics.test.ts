import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { basicAuthorization } from '../../bench/target.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { whilePayloadInsertsFail } from '../support/pg-statements.js';
import { discover, login, openLoginPage } from '../support/relying-party.js';
import { ADMIN, startTestTessera, type TestTessera } from '../support/tessera.js';
import { refresh } from '../support/token-requests.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (format 0.0.4). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(tessera: TestTessera) {
  const response = await fetch(tessera.metricsUrl!);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const samples = parseExposition(await response.text());
  /** The sample's value, 0 when no series has these labels yet. */
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))
      ?.value ?? 0;
  return { samples, value };
}

/** Submits the login form (a wrong password unless given); returns the status of the page that answers. */
async function failLogin(
  tessera: TestTessera,
  client: { client_id: string; client_secret: string },
  username: string,
  password = 'not-the-password',
) {
  const config = await discover(tessera.issuer, client.client_id, client.client_secret);
  const { page, browser } = await openLoginPage(config, 'openid');
  if (!isPage(page)) throw new Error('expected the login page');
  const answer = await browser.submit(page, { username, password });
  if (!isPage(answer)) throw new Error('this login must not complete');
  return answer.status;
}

describe('Prometheus metrics with METRICS_PORT set', () => {
  let tessera: TestTessera;
  beforeAll(async () => {
    // Two failures start a block, so the third attempt shows a refusal.
    tessera = await startTestTessera({
      env: { METRICS_PORT: String(await freePort()), BRUTE_FORCE_MAX_ATTEMPTS: '2', TOKEN_CLIENT_MAX_FAILURES: '2' },
    });
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it('serves /metrics on its own port, and the issuer port answers 404 there', async () => {
    expect(new URL(tessera.metricsUrl!).hostname).toBe('127.0.0.1');
    expect((await fetch(`${tessera.url}/metrics`)).status).toBe(404);
    const { value } = await scrape(tessera);
    // prom-client's default metrics: what an operator needs for CPU per request, memory and event-loop lag.
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('serves none of the issuer routes on the metrics port', async () => {
    const origin = new URL(tessera.metricsUrl!).origin;
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/token', '/healthz', '/interaction/x', '/trpc/users.list']) {
      expect((await fetch(`${origin}${path}`)).status).toBe(404);
    }
    expect((await fetch(tessera.metricsUrl!, { method: 'POST' })).status).toBe(405);
  });

  it('labels discovery and the JWKS by their route names also once they are served from memory', async () => {
    const before = await scrape(tessera);
    for (let i = 0; i < 2; i += 1) {
      expect((await fetch(`${tessera.url}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await fetch(`${tessera.url}/jwks`)).status).toBe(200);
    }
    const after = await scrape(tessera);
    const count = 'tessera_http_request_duration_seconds_count';
    const grew = (labels: Record<string, string>) => after.value(count, labels) - before.value(count, labels);
    expect(grew({ route: 'discovery', status: '2xx' })).toBe(2);
    expect(grew({ route: 'jwks', status: '2xx' })).toBe(2);
    expect(grew({ route: 'other', status: '2xx' })).toBe(0);
  });

  it('counts no refresh whose new tokens could not be written', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    const before = await scrape(tessera);
    expect((await whilePayloadInsertsFail(() => refresh(tessera.url, client, tokens.refresh_token!))).status).toBe(503);
    const after = await scrape(tessera);
    const grew = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(grew('tessera_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(0);
    expect(grew('tessera_http_request_duration_seconds_count', { route: 'token:refresh_token', status: '5xx' })).toBe(1);
  });

  it('counts a login through the forms and a refresh grant, and times them by route', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const before = await scrape(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);

    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    expect((await refresh(tessera.url, client, tokens.refresh_token!)).status).toBe(200);
    const after = await scrape(tessera);

    const connection = DEFAULT_DATABASE_CONNECTION;
    const grew = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(grew('tessera_logins_total', { connection, outcome: 'success' })).toBe(1);
    expect(grew('tessera_logins_total', { connection, outcome: 'invalid_credentials' })).toBe(0);
    expect(grew('tessera_tokens_issued_total', { grant_type: 'authorization_code' })).toBe(1);
    expect(grew('tessera_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(1);
    // Routes are provider route names, token by grant type, and the templates of Tessera's own routes.
    const count = 'tessera_http_request_duration_seconds_count';
    expect(grew(count, { route: 'token:refresh_token', status: '2xx' })).toBe(1);
    expect(grew(count, { route: 'token:authorization_code', status: '2xx' })).toBe(1);
    expect(grew(count, { route: 'discovery', status: '2xx' })).toBe(1);
    expect(grew(count, { route: 'authorization', status: '3xx' })).toBe(1);
    expect(grew(count, { route: '/interaction/:uid/login', status: '3xx' })).toBe(1);
    expect(after.value('tessera_http_request_duration_seconds_bucket', { route: 'token:refresh_token', le: '+Inf' })).toBeGreaterThan(0);
    // The login read the user's profile through the cache.
    const lookups = (scraped: typeof after) =>
      scraped.value('tessera_profile_cache_lookups_total', { result: 'hit' }) +
      scraped.value('tessera_profile_cache_lookups_total', { result: 'miss' });
    expect(lookups(after)).toBeGreaterThan(lookups(before));
  });

  it('counts a wrong password as invalid credentials, a brute-force refusal as a block, and a blocked user as blocked', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const blocked = await createUser(tessera, { blocked: true });
    const before = await scrape(tessera);

    expect(await failLogin(tessera, client, user.email)).toBe(401);
    expect(await failLogin(tessera, client, user.email)).toBe(401);
    expect(await failLogin(tessera, client, user.email)).toBe(429);
    expect(await failLogin(tessera, client, blocked.email, blocked.password)).toBe(403);
    const after = await scrape(tessera);

    const connection = DEFAULT_DATABASE_CONNECTION;
    const grew = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(grew('tessera_logins_total', { connection, outcome: 'invalid_credentials' })).toBe(2);
    expect(grew('tessera_logins_total', { connection, outcome: 'too_many_attempts' })).toBe(1);
    expect(grew('tessera_logins_total', { connection, outcome: 'blocked' })).toBe(1);
    expect(grew('tessera_logins_total', { connection, outcome: 'success' })).toBe(0);
    expect(grew('tessera_abuse_blocks_total', { limit: 'login_attempts' })).toBe(1);
  });

  it('counts a password-reset request refused for naming one address too often as an account_requests block', async () => {
    const client = await createClient(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const link = page.document.querySelector('a[href*="/forgot"]')?.getAttribute('href') ?? '';
    const form = await browser.navigate(new URL(link, tessera.issuer).toString());
    if (!isPage(form)) throw new Error('expected the reset form');
    const before = await scrape(tessera);
    const statuses: number[] = [];
    for (let request = 0; request < 6; request += 1) {
      const answer = await browser.submit(form, { email: 'often@example.com' });
      statuses.push(isPage(answer) ? answer.status : 0);
    }
    const after = await scrape(tessera);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(
      after.value('tessera_abuse_blocks_total', { limit: 'account_requests' }) -
        before.value('tessera_abuse_blocks_total', { limit: 'account_requests' }),
    ).toBe(1);
  });

  it('counts client_credentials tokens, labels the management API by procedure, and counts client-secret blocks', async () => {
    const before = await scrape(tessera);
    const basic = (secret: string) => basicAuthorization({ clientId: ADMIN.clientId, clientSecret: secret });
    const token = (secret: string) =>
      fetch(`${tessera.url}/token`, {
        method: 'POST',
        headers: { authorization: basic(secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${tessera.issuer}/api/v2/`, scope: 'read:users' }),
      });
    const granted = await token(ADMIN.clientSecret);
    expect(granted.status).toBe(200);
    const { access_token: accessToken } = (await granted.json()) as { access_token: string };
    const listed = await fetch(`${tessera.url}/trpc/users.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(listed.status).toBe(200);
    expect((await fetch(`${tessera.url}/jwks`)).status).toBe(200);
    expect((await token('wrong-secret')).status).toBe(401);
    expect((await token('wrong-secret')).status).toBe(401);
    expect((await token(ADMIN.clientSecret)).status).toBe(429);
    const after = await scrape(tessera);

    const grew = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    const count = 'tessera_http_request_duration_seconds_count';
    expect(grew('tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(1);
    expect(grew(count, { route: 'token:client_credentials', status: '2xx' })).toBe(1);
    expect(grew(count, { route: 'token:client_credentials', status: '4xx' })).toBe(3);
    expect(grew(count, { route: 'trpc:users.list', status: '2xx' })).toBe(1);
    expect(grew(count, { route: 'jwks', status: '2xx' })).toBe(1);
    expect(grew('tessera_abuse_blocks_total', { limit: 'client_authentication' })).toBe(1);
  });

  it('labels requests to unknown paths `other`, never with the path itself', async () => {
    const before = await scrape(tessera);
    const path = `/no/such/page/${crypto.randomUUID()}`;
    expect((await fetch(`${tessera.url}${path}`)).status).toBe(404);
    expect((await fetch(`${tessera.url}/trpc/no.such.procedure`)).status).toBe(404);
    const after = await scrape(tessera);
    const count = 'tessera_http_request_duration_seconds_count';
    expect(after.value(count, { route: 'other', status: '4xx' }) - before.value(count, { route: 'other', status: '4xx' })).toBe(1);
    expect(after.value(count, { route: 'trpc:other', status: '4xx' }) - before.value(count, { route: 'trpc:other', status: '4xx' })).toBe(
      1,
    );
    expect(after.samples.some((sample) => Object.values(sample.labels).some((value) => value.includes('no/such')))).toBe(false);
  });

  it('shows the PostgreSQL pool: its size, its maximum and the time spent waiting for a connection', async () => {
    const { value } = await scrape(tessera);
    expect(value('tessera_db_pool_connections', { state: 'max' })).toBe(10);
    expect(value('tessera_db_pool_connections', { state: 'open' })).toBeGreaterThanOrEqual(1);
    expect(value('tessera_db_pool_connections', { state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(value('tessera_db_pool_acquire_seconds_count')).toBeGreaterThan(0);
  });
});

describe('Prometheus metrics with METRICS_PORT unset', () => {
  let tessera: TestTessera | undefined;
  afterAll(async () => {
    await tessera?.stop();
  });

  it('collects nothing and opens no listener beside the issuer', async () => {
    const listeners = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;
    const before = listeners();
    tessera = await startTestTessera();
    expect(listeners() - before).toBe(1);
    expect(tessera.metricsUrl).toBeUndefined();
    expect(tessera.services.metrics).toBeUndefined();
    expect((await fetch(`${tessera.url}/metrics`)).status).toBe(404);
  });
});

describe('metrics configuration', () => {
  const base = { ISSUER: 'http://127.0.0.1:3000', PORT: '3000' };

  it('is off unless METRICS_PORT is set, and listens on loopback by default', () => {
    expect(loadConfig(base).metrics).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
  });

  it('refuses METRICS_PORT equal to PORT, and a port out of range', () => {
    expect(() => loadConfig({ ...base, METRICS_PORT: '3000' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, METRICS_PORT: '3000' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ ...base, METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});
