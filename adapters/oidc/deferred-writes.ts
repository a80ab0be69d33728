/**
 * Within one token request, the writes of the new tokens are acknowledged to oidc-provider at
 * once and committed together: a refresh saves its refresh token, then its access token, and
 * waiting for each commit in turn would cost a round trip and a statement each. The request
 * (server/oidc/token-writes.ts) waits for every write it deferred before its response leaves,
 * and answers with an error instead if one failed: no token reaches a client unless it is in
 * PostgreSQL. Only tokens under new ids are deferred, which nobody can know before the response.
 *
 * A refresh token the request consumes is consumed by the same statement that writes its
 * successors (a Redemption): the old token is spent exactly when the new ones exist, in one
 * commit, so a refresh that fails on the way spends nothing, and the single-use decision costs
 * no round trip of its own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const DEFERRABLE_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken']);

/**
 * The models whose consume a token request defers to its writes: only those always followed by
 * a stored token that carries it (a refresh rotates into a new refresh token, always stored).
 * Not authorization codes: an exchange may issue only a JWT access token, which is not stored,
 * and nothing would then consume the code.
 */
const REDEEMABLE_MODELS: ReadonlySet<string> = new Set(['RefreshToken']);

/**
 * An artifact this request consumes with its writes. The writes that carry it land only if their
 * statement marked it consumed (payload-statements.ts); otherwise `lost` decides, once for all of
 * them, whether they are written anyway (a reuse interval) or fail (a second redemption).
 */
export class Redemption {
  /** Whether the statement that carried it marked it: set when that statement starts. */
  decided: Promise<boolean> | undefined;
  private verdict: Promise<void> | undefined;

  constructor(
    readonly model: string,
    readonly id: string,
    private readonly onLost: () => Promise<void>,
  ) {}

  /** Resolves when the writes may land without the mark; rejects with the request's error otherwise. */
  lost(): Promise<void> {
    this.verdict ??= this.onLost();
    return this.verdict;
  }
}

interface RequestWrites {
  readonly pending: Array<Promise<unknown>>;
  redemption: Redemption | undefined;
}

const requestWrites = new AsyncLocalStorage<RequestWrites>();

/**
 * Runs `write` now and gives its result; inside runDeferringWrites, for a deferrable model,
 * without waiting for it, and undefined, handing it the request's redemption to carry.
 */
export function deferrable<T>(model: string, write: (redemption?: Redemption) => Promise<T>): Promise<T | undefined> {
  const request = requestWrites.getStore();
  if (!request || !DEFERRABLE_MODELS.has(model)) return write();
  const written = write(request.redemption);
  // Awaited by runDeferringWrites; until then, a failure must not count as unhandled.
  written.catch(() => undefined);
  request.pending.push(written);
  return Promise.resolve(undefined);
}

/**
 * Inside runDeferringWrites, takes over the consume of a redeemable artifact: true, and the
 * request's deferred writes carry it from now on. False anywhere else: consume as usual.
 */
export function deferRedemption(model: string, id: string, onLost: () => Promise<void>): boolean {
  const request = requestWrites.getStore();
  if (!request || request.redemption || !REDEEMABLE_MODELS.has(model)) return false;
  request.redemption = new Redemption(model, id, onLost);
  return true;
}

/** Runs `run`, then waits for every write it deferred; returns the first of their failures, if any. */
export async function runDeferringWrites(run: () => Promise<unknown>): Promise<{ failure: unknown } | undefined> {
  const request: RequestWrites = { pending: [], redemption: undefined };
  await requestWrites.run(request, run);
  const outcomes = await Promise.allSettled(request.pending);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  return failed ? { failure: failed.reason } : undefined;
}
