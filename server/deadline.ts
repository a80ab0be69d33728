/**
 * A time limit on work Tessera cannot stop from outside (a directory's several round trips, a
 * store's probe): the answer is whichever comes first, the work's or the deadline's, and the
 * work learns through its signal that nobody waits for it any more. Operator code has its
 * own limit in the sandbox, which terminates the worker thread instead.
 */
export async function withinDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>, expired: () => Error): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = expired();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
