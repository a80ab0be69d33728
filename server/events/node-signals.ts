/**
 * Signals between the nodes of one deployment, over Redis pub/sub: for state each node holds
 * in memory (the signing keys) when another node changes it. On one node, a no-op.
 */
import { duplicateForBlocking, type RedisClient } from '../../adapters/redis/client.js';
import type { Logger } from '../logger.js';

export type NodeSignal = 'keys.rotated';

export interface NodeSignals {
  announce(signal: NodeSignal): Promise<void>;
  on(signal: NodeSignal, handler: () => Promise<void>): void;
  close(): Promise<void>;
}

export const singleNodeSignals: NodeSignals = {
  announce: async () => undefined,
  on: () => undefined,
  close: async () => undefined,
};

export async function createRedisNodeSignals(redis: RedisClient, namespace: string, logger: Logger): Promise<NodeSignals> {
  const channel = `tessera:{${namespace}}:signals`;
  const handlers = new Map<NodeSignal, Array<() => Promise<void>>>();
  // A subscribed connection can do nothing else, so signals get their own.
  const subscriber = duplicateForBlocking(redis);
  // The main connection reports outages; this one resubscribes by itself when Redis returns.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_channel: string, message: string) => {
    for (const handler of handlers.get(message as NodeSignal) ?? []) {
      handler().catch((error: unknown) => logger.error({ err: error, signal: message }, 'node signal handler failed'));
    }
  });
  await subscriber.subscribe(channel);
  return {
    async announce(signal) {
      await redis.publish(channel, signal);
    },
    on(signal, handler) {
      handlers.set(signal, [...(handlers.get(signal) ?? []), handler]);
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
