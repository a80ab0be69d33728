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

type SignalHandler = (detail: string) => Promise<void>;

/** A signal as it travels: its name, then its detail after one space. */
export const signalMessage = (signal: NodeSignal, detail?: string) => (detail ? `${signal} ${detail}` : signal);

/** The handlers of each signal, and the dispatch to them of a message heard from another node. */
export function createSignalHandlers(logger: Logger): Pick<NodeSignals, 'on'> & { dispatch(message: string): void } {
  const handlers = new Map<NodeSignal, SignalHandler[]>();
  return {
    on(signal, handler) {
      handlers.set(signal, [...(handlers.get(signal) ?? []), handler]);
    },
    dispatch(message) {
      const space = message.indexOf(' ');
      const [signal, detail] = space === -1 ? [message, ''] : [message.slice(0, space), message.slice(space + 1)];
      for (const handler of handlers.get(signal as NodeSignal) ?? []) {
        // The signal's name only: a detail may name a token.
        handler(detail).catch((error: unknown) => logger.error({ err: error, signal }, 'node signal handler failed'));
      }
    },
  };
}

export async function createRedisNodeSignals(redis: RedisClient, namespace: string, logger: Logger): Promise<NodeSignals> {
  const channel = `tessera:{${namespace}}:signals`;
  const handlers = createSignalHandlers(logger);
  // A subscribed connection can do nothing else, so signals get their own.
  const subscriber = duplicateForBlocking(redis);
  // The main connection reports outages; this one resubscribes by itself when Redis returns.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_channel: string, message: string) => handlers.dispatch(message));
  await subscriber.subscribe(channel);
  return {
    async announce(signal, detail) {
      // Best effort: what a lost signal leaves stale, the receivers' own expiry bounds.
      await redis.publish(channel, signalMessage(signal, detail)).catch(() => undefined);
    },
    on: handlers.on,
    async close() {
      subscriber.disconnect();
    },
  };
}
