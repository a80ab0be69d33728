/**
 * A liveness probe for tests of stuck operator code: asks one URL again and again, one request
 * at a time, until some work settles, and counts the answers by status. Against a stalled event
 * loop no answer comes, and the test times out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Probe {
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Requests that got no answer at all. */
  failures: number;
  slowestMs: number;
}

/** A short pause between requests keeps their number bounded (a few hundred over a 5 s rule). */
const PAUSE_MS = 10;

export async function askWhile<T>(url: string, work: Promise<T>): Promise<{ result: T; probe: Probe }> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  const probe: Probe = { statuses: {}, failures: 0, slowestMs: 0 };
  const asking = (async () => {
    while (!done) {
      const started = performance.now();
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        probe.statuses[response.status] = (probe.statuses[response.status] ?? 0) + 1;
      } catch {
        probe.failures += 1;
      }
      probe.slowestMs = Math.max(probe.slowestMs, performance.now() - started);
      await sleep(PAUSE_MS);
    }
  })();
  try {
    return { result: await settled, probe };
  } finally {
    await asking;
  }
}
