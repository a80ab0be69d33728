/**
 * Signals between the nodes of one deployment, over Redis pub/sub: for state each node holds
 * in memory (signing keys, memoized clients and grants) when another node changes it. Without
 * Redis, from the operator CLI to the server beside it, over PostgreSQL (postgres-signals.ts).
 * Over Redis a node hears its own signals too, so handlers only ever drop what a node holds.
 */
import { duplicateForBlocking, type RedisClient } from '../../adapters/redis/client.js';
import type { Logger } from '../logger.js';

export type NodeSignal = 'keys.rotated' | 'oidc.changed' | 'resource_servers.changed' | 'connections.changed' | 'user.event';

export interface NodeSignals {
  /** `detail` travels with the signal, e.g. which artifact changed. */
  announce(signal: NodeSignal, detail?: string): Promise<void>;
  on(signal: NodeSignal, handler: (detail: string) => Promise<void>): void;
  close(): Promise<void>;
}

/** Before the signals are open: what is announced goes nowhere. */
export const singleNodeSignals: NodeSignals = {
  announce: async () => undefined,
  on: () => undefined,
  close: async () => undefined,
};

export async function createRedisNodeSignals(redis: RedisClient, namespace: string, logger: Logger): Promise<NodeSignals> {
  const channel = `tessera:{${namespace}}:signals`;
  const handlers = new Map<NodeSignal, Array<(detail: string) => Promise<void>>>();
  // A subscribed connection can do nothing else, so signals get their own.
  const subscriber = duplicateForBlocking(redis);
  // The main connection reports outages; this one resubscribes by itself when Redis returns.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_channel: string, message: string) => {
    const space = message.indexOf(' ');
    const [signal, detail] = space === -1 ? [message, ''] : [message.slice(0, space), message.slice(space + 1)];
    for (const handler of handlers.get(signal as NodeSignal) ?? []) {
      handler(detail).catch((error: unknown) => logger.error({ err: error, signal: message }, 'node signal handler failed'));
    }
  });
  await subscriber.subscribe(channel);
  return {
    async announce(signal, detail) {
      // Best effort: what a lost signal leaves stale, the receivers' own expiry bounds.
      await redis.publish(channel, detail ? `${signal} ${detail}` : signal).catch(() => undefined);
    },
    on(signal, handler) {
      handlers.set(signal, [...(handlers.get(signal) ?? []), handler]);
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
