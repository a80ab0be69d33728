/**
 * A few connections bound as a connection's service account (or anonymously), reused across
 * logins for the user search; ldapts has none of its own. Clients are opened on demand up to
 * the pool's size; one whose work failed is closed rather than trusted again, and the next
 * login opens a fresh one.
 */
import type { Client } from 'ldapts';

export interface ServicePoolOptions {
  size: number;
  /** A new, unconnected client. */
  open(): Client;
  /** The service account; an explicit anonymous bind (empty DN and password) when absent. */
  bindDn?: string | undefined;
  bindPassword?: string | undefined;
}

export interface ServicePool {
  /** Runs work on a bound client, waiting for one while all are busy, until signal aborts. */
  use<T>(work: (client: Client) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Closes the idle clients now and the busy ones as they come back. */
  close(): Promise<void>;
}

/** Failures of the binding step, told apart from the work's own. */
export class ServiceBindError extends Error {
  override name = 'ServiceBindError';
  constructor(readonly reason: unknown) {
    super('service bind failed');
  }
}

async function quietly(client: Client): Promise<void> {
  await client.unbind().catch(() => undefined);
}

export function createServicePool({ size, open, bindDn, bindPassword }: ServicePoolOptions): ServicePool {
  const idle: Client[] = [];
  const wakeups: Array<() => void> = [];
  /** Clients idle, busy or still binding. */
  let count = 0;
  let closed = false;

  const wakeOne = () => wakeups.shift()?.();

  function discard(client: Client): void {
    count -= 1;
    void quietly(client);
    wakeOne();
  }

  function release(client: Client): void {
    if (closed || !client.isBound) {
      discard(client);
      return;
    }
    idle.push(client);
    wakeOne();
  }

  async function bindNew(): Promise<Client> {
    const client = open();
    try {
      await client.bind(bindDn ?? '', bindPassword ?? '');
      return client;
    } catch (error) {
      void quietly(client);
      throw new ServiceBindError(error);
    }
  }

  function waitForChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        wakeups.splice(wakeups.indexOf(wake), 1);
        reject(signal.reason as Error);
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      wakeups.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function acquire(signal: AbortSignal): Promise<Client> {
    for (;;) {
      signal.throwIfAborted();
      if (closed) throw new Error('the directory pool is closed');
      const client = idle.pop();
      // The directory may have dropped an idle connection; ldapts would reconnect it unbound.
      if (client?.isBound) return client;
      if (client) {
        discard(client);
        continue;
      }
      if (count < size) {
        count += 1;
        try {
          return await bindNew();
        } catch (error) {
          count -= 1;
          wakeOne();
          throw error;
        }
      }
      await waitForChange(signal);
    }
  }

  return {
    async use<T>(work: (client: Client) => Promise<T>, signal: AbortSignal): Promise<T> {
      const client = await acquire(signal);
      if (signal.aborted) {
        release(client);
        throw signal.reason as Error;
      }
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        discard(client);
        throw error;
      }
      release(client);
      return result;
    },

    async close() {
      closed = true;
      for (const wake of wakeups.splice(0)) wake();
      const clients = idle.splice(0);
      count -= clients.length;
      await Promise.all(clients.map(quietly));
    },
  };
}
