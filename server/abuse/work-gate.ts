/**
 * A counting semaphore with a bounded queue: at most `concurrency` jobs run at once, at most
 * `queue` more wait their turn in order, and any beyond that are refused at once, so a flood
 * costs memory for a bounded line rather than CPU for every request in it.
 */
export class GateFullError extends Error {
  override name = 'GateFullError';
}

export interface WorkGate {
  run<T>(job: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly waiting: number;
}

export function createWorkGate(concurrency: number, queue: number): WorkGate {
  let running = 0;
  const waiting: Array<() => void> = [];

  function release() {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }

  return {
    async run(job) {
      if (running >= concurrency) {
        if (waiting.length >= queue) throw new GateFullError(`${running} running and ${waiting.length} waiting`);
        // The slot passes straight from the job that ends to this one: `running` stays as it is.
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running += 1;
      }
      try {
        return await job();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
