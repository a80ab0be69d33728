/**
 * One time limit for a whole login, whatever the number of round trips: each directory
 * operation has its own timeout too, but a login of several slow steps must still end in time.
 */
import { DomainError } from '../../errors.js';
import { DIRECTORY_TIMEOUT } from './directory-errors.js';

export async function withinDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DomainError('auth.upstream_failed', DIRECTORY_TIMEOUT);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
