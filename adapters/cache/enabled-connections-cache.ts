/**
 * Each node's copy of which connections a client may log in with: every login page and every
 * submitted login form asks, and the answer changes only when an operator changes a
 * connection or a client. Any write through these queries empties the copy (after its
 * transaction commits) and tells the other nodes to empty theirs; an age limit bounds what a
 * lost signal could leave stale.
 */
import type { ConnectionQueries } from '../queries/connections.js';
import type { ConnectionRecord } from '../queries/records.js';
import type { Transaction } from '../queries/transaction.js';

export interface EnabledConnectionsCacheOptions {
  maxAgeMs: number;
  /** Called after every write this node makes, to tell the other nodes. */
  announce: () => void;
  now?: () => number;
}

export interface CachedConnectionQueries extends ConnectionQueries {
  /** Empties this node's copy: another node changed connections or clients. */
  forgetEnabled(): void;
}

/** The write methods, and which argument (if any) is their transaction. */
const WRITES = {
  create: 1,
  setEnabledForClient: undefined,
  setEnabledClients: 2,
  removeClient: undefined,
  updateOptions: 2,
  removeWithUsers: 2,
} as const satisfies Partial<Record<keyof ConnectionQueries, number | undefined>>;

export function cacheEnabledConnections(queries: ConnectionQueries, options: EnabledConnectionsCacheOptions): CachedConnectionQueries {
  const { maxAgeMs, announce, now = Date.now } = options;
  const entries = new Map<string, { records: ConnectionRecord[]; at: number }>();
  // A read that began before a write must not store what it read after the write emptied the copy.
  let generation = 0;
  const forget = () => {
    generation += 1;
    entries.clear();
  };

  const wrapped: Partial<ConnectionQueries> = {};
  for (const [method, transactionIndex] of Object.entries(WRITES) as Array<[keyof typeof WRITES, number | undefined]>) {
    const write = queries[method] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const transaction = transactionIndex === undefined ? undefined : (args[transactionIndex] as Transaction | undefined);
      try {
        return await write(...args);
      } finally {
        const changed = () => {
          forget();
          announce();
        };
        forget();
        if (transaction) transaction.afterCommit(changed);
        else changed();
      }
    };
  }

  return {
    ...queries,
    ...wrapped,
    async listEnabledForClient(clientId: string): Promise<ConnectionRecord[]> {
      const entry = entries.get(clientId);
      if (entry && now() - entry.at < maxAgeMs) return entry.records;
      const started = generation;
      const records = await queries.listEnabledForClient(clientId);
      if (started === generation) entries.set(clientId, { records, at: now() });
      return records;
    },
    forgetEnabled: forget,
  };
}
