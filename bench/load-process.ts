/** Child process body for load.ts: receives one job, runs autocannon, sends the summary back and exits. */
import autocannon from 'autocannon';
import type { LoadJob, LoadRequest, LoadResult, LoadStarted, LoadVariant } from './load.js';

/**
 * Refresh tokens rotate: each one works once. Every token is held by exactly one in-flight
 * request, and autocannon reads a response (onResponse) before building that connection's
 * next request (setupRequest), so with one token per connection the pool never runs dry
 * while every chain is intact.
 */
function rotatingRefreshRequest(request: LoadRequest, tokens: readonly string[]): autocannon.Request {
  const pool = [...tokens];
  return {
    method: request.method,
    path: request.path,
    headers: { ...request.headers },
    setupRequest(next) {
      // A broken chain leaves the pool short; an unknown token then fails visibly as a non-2xx.
      const token = pool.shift() ?? 'pool-exhausted';
      return { ...next, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString() };
    },
    onResponse(status, body) {
      if (status !== 200) return;
      const rotated = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token;
      if (typeof rotated === 'string') pool.push(rotated);
    },
  };
}

/** One counter for every connection, so the variants are taken strictly in turn. */
function cyclingRequest(request: LoadRequest, variants: readonly LoadVariant[]): autocannon.Request {
  let next = 0;
  return {
    method: request.method,
    path: request.path,
    headers: { ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    setupRequest(built) {
      const variant = variants[next % variants.length];
      next += 1;
      if (!variant) return built;
      return { ...built, path: variant.path ?? built.path, headers: { ...built.headers, ...variant.headers } };
    },
  };
}

function toAutocannonRequest(request: LoadRequest): autocannon.Request {
  if (request.rotatingRefreshTokens) return rotatingRefreshRequest(request, request.rotatingRefreshTokens);
  if (request.variants?.length) return cyclingRequest(request, request.variants);
  return {
    method: request.method,
    path: request.path,
    headers: { ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

async function run({ request, settings }: LoadJob): Promise<LoadResult> {
  const started: LoadStarted = { started: true };
  process.send?.(started);
  const result = await autocannon({
    url: request.origin,
    connections: settings.connections,
    duration: settings.durationSeconds,
    requests: [toAutocannonRequest(request)],
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    responses: Object.values(statusCodes).reduce((sum, count) => sum + count, 0),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (summary) => process.send?.(summary, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`load run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
});
