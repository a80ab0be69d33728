/**
 * The users.events feed across nodes: a Redis Stream, so every node's subscribers see every
 * node's writes, and a subscriber reconnecting with its lastEventId (a stream id) resumes
 * where it left off for as long as the stream keeps the entries.
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
import { duplicateForBlocking, type RedisClient } from '../../adapters/redis/client.js';
import { USER_EVENT_TYPES, type EventBus, type UserEvent, type UserEventType } from './event-bus.js';

// Approximate trimming keeps XADD O(1); a reconnect older than this many events starts fresh.
const MAX_ENTRIES = 100_000;
const BLOCK_MS = 5_000;

function isEventType(value: string | undefined): value is UserEventType {
  return (USER_EVENT_TYPES as readonly string[]).includes(value ?? '');
}

function toEvent(id: string, fields: string[]): UserEvent | undefined {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]!] = fields[index + 1]!;
  if (!isEventType(record['type']) || !record['user_id'] || !record['at']) return undefined;
  return { id, type: record['type'], user_id: record['user_id'], at: record['at'] };
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

/** `namespace` (the issuer) keeps deployments that share a Redis from reading each other's feed. */
export function createRedisEventBus(redis: RedisClient, namespace: string): EventBus {
  const STREAM = `tessera:{${namespace}}:users:events`;
  return {
    async publish(type, userId) {
      // The write this event reports has committed: a Redis outage must not turn it into an
      // error. Subscribers miss what is published while Redis is away (the connection warns).
      await redis
        .xadd(STREAM, 'MAXLEN', '~', MAX_ENTRIES, '*', 'type', type, 'user_id', userId, 'at', new Date().toISOString())
        .catch(() => undefined);
    },

    async *subscribe({ userId, lastEventId, signal }) {
      // XREAD BLOCK holds its connection, so each subscriber gets its own.
      const reader = duplicateForBlocking(redis);
      // The main connection reports outages; this one just waits for Redis to return.
      reader.on('error', () => undefined);
      const stop = () => reader.disconnect();
      signal?.addEventListener('abort', stop, { once: true });
      let cursor = lastEventId ?? (await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
      try {
        while (!signal?.aborted) {
          const reply = (await reader.xread('BLOCK', BLOCK_MS, 'STREAMS', STREAM, cursor)) as StreamReply;
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              cursor = id;
              const event = toEvent(id, fields);
              if (event && (!userId || event.user_id === userId)) yield event;
            }
          }
        }
      } catch (error) {
        if (!signal?.aborted) throw error;
      } finally {
        signal?.removeEventListener('abort', stop);
        reader.disconnect();
      }
    },
  };
}
