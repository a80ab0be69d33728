/**
 * Within one token request, the writes of the new tokens are acknowledged to oidc-provider at
 * once and committed together: a refresh saves its refresh token, then its access token, and
 * waiting for each commit in turn would cost a round trip and a statement each. The request
 * (server/oidc/token-writes.ts) waits for every write it deferred before its response leaves,
 * and answers with an error instead if one failed: no token reaches a client unless it is in
 * PostgreSQL. Only tokens under new ids are deferred, which nobody can know before the response.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const DEFERRABLE_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken']);

const requestWrites = new AsyncLocalStorage<Array<Promise<unknown>>>();

/**
 * Runs `write` now and gives its result; inside runDeferringWrites, for a deferrable model,
 * without waiting for it, and undefined.
 */
export function deferrable<T>(model: string, write: () => Promise<T>): Promise<T | undefined> {
  const pending = requestWrites.getStore();
  if (!pending || !DEFERRABLE_MODELS.has(model)) return write();
  const written = write();
  // Awaited by runDeferringWrites; until then, a failure must not count as unhandled.
  written.catch(() => undefined);
  pending.push(written);
  return Promise.resolve(undefined);
}

/** Runs `run`, then waits for every write it deferred; returns the first of their failures, if any. */
export async function runDeferringWrites(run: () => Promise<unknown>): Promise<{ failure: unknown } | undefined> {
  const pending: Array<Promise<unknown>> = [];
  await requestWrites.run(pending, run);
  const outcomes = await Promise.allSettled(pending);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  return failed ? { failure: failed.reason } : undefined;
}
