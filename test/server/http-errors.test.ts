import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryLater } from '../../server/abuse/retry-later.js';
import { DomainError } from '../../server/errors.js';
import { renderErrors } from '../../server/http-errors.js';
import { createLogger } from '../../server/logger.js';
import { CodeFailure } from '../../server/sandbox/code-failure.js';
import { logSink } from '../support/log-sink.js';

/** What each path of the app under test throws, as a Tessera route would let it escape. */
const THROWN: Record<string, () => unknown> = {
  '/domain': () => new DomainError('connection.not_found', 'connection "Nowhere" does not exist', 'connection'),
  '/rate-limited': () => new RetryLater('request.rate_limited', 'too many calls; retry after 7 seconds', 7),
  '/busy': () => new RetryLater('server.busy', 'The server is busy checking other passwords.', 1),
  '/outage': () => new Error('Connection terminated unexpectedly'),
  '/operator-code': () => new CodeFailure('profile.invalid', 'the mapper failed: ENOENT /srv/tessera/code/mapper.js', '0a1b2c3d'),
  '/provider-error': () => new errors.InvalidRequest('interaction does not match this browser session'),
  '/bug': () => new TypeError("Cannot read properties of undefined (reading 'secret-detail')"),
};

describe('the error handler of Tessera routes', () => {
  const lines: Array<Record<string, unknown>> = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = new Koa();
    app.use(renderErrors(createLogger('debug', logSink(lines))));
    app.use((ctx) => {
      if (ctx.path === '/koa-error') ctx.throw(413, 'request entity too large');
      const thrown = THROWN[ctx.path];
      if (thrown) throw thrown();
      ctx.body = 'ok';
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const page = async (path: string, accept = 'text/html') => {
    const response = await fetch(`${base}${path}`, { headers: { accept } });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      type: response.headers.get('content-type') ?? '',
      cacheControl: response.headers.get('cache-control'),
      body: await response.text(),
    };
  };

  it('answers a domain error with the status of its code and its message, not 500', async () => {
    const answer = await page('/domain');
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^text\/html/);
    expect(answer.cacheControl).toBe('no-store');
    expect(answer.body).toContain('connection &quot;Nowhere&quot; does not exist');
  });

  it('answers a client that asks for JSON with the OAuth error of the code', async () => {
    const answer = await page('/domain', 'application/json');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_request', error_description: 'connection "Nowhere" does not exist' });
  });

  it('answers a refusal that passes with its status and its own Retry-After', async () => {
    expect(await page('/rate-limited')).toMatchObject({ status: 429, retryAfter: '7' });
    expect(await page('/busy')).toMatchObject({ status: 503, retryAfter: '1' });
  });

  it('answers a store outage with a 503 page saying to try again, and Retry-After', async () => {
    const answer = await page('/outage');
    expect(answer).toMatchObject({ status: 503, retryAfter: '5' });
    expect(answer.body).toContain('Temporarily unavailable');
    expect(JSON.parse((await page('/outage', 'application/json')).body)).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('shows of a failure of operator code only its error id', async () => {
    const answer = await page('/operator-code');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Error id: 0a1b2c3d');
    expect(answer.body).not.toContain('/srv/tessera');
  });

  it("answers oidc-provider's and Koa's client errors with their own status and message", async () => {
    const provider = await page('/provider-error');
    expect(provider.status).toBe(400);
    expect(provider.body).toContain('interaction does not match this browser session');
    const koa = await page('/koa-error');
    expect(koa.status).toBe(413);
    expect(koa.body).toContain('request entity too large');
  });

  it('answers any other error with a generic 500 and leaves the details to the log', async () => {
    const answer = await page('/bug');
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain('secret-detail');
    expect(JSON.parse((await page('/bug', 'application/json')).body)).toMatchObject({ error: 'server_error' });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request failed', path: '/bug' }));
  });
});
