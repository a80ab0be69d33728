/**
 * The users.events feed across nodes: a Redis Stream, so every node's subscribers see every
 * node's writes, and a subscriber reconnecting with its lastEventId (a stream id) resumes
 * where it left off for as long as the stream keeps the entries.
 *
 * One node reads the stream on one connection however many subscribers it serves (XREAD BLOCK
 * holds its connection, so one per subscriber would mean a Redis connection per open feed),
 * and fans each event out in process. A subscriber first catches up with XRANGE on the shared
 * command connection, then follows the live fan-out; ids dedupe the seam between the two.
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
import { EventEmitter, on } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { duplicateForBlocking, type RedisClient } from '../../adapters/redis/client.js';
import { type EventBus, USER_EVENT_TYPES, type UserEvent, type UserEventType } from './event-bus.js';

// Approximate trimming keeps XADD O(1); a reconnect older than this many events starts fresh.
const MAX_ENTRIES = 100_000;
const BLOCK_MS = 5_000;
const REPLAY_BATCH = 1_000;
// While Redis is away the reader's connection reconnects by itself; this only paces retries.
const RETRY_MS = 1_000;

function isEventType(value: string | undefined): value is UserEventType {
  return (USER_EVENT_TYPES as readonly string[]).includes(value ?? '');
}

function toEvent(id: string, fields: string[]): UserEvent | undefined {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [name, value] = [fields[index], fields[index + 1]];
    if (name !== undefined && value !== undefined) record[name] = value;
  }
  if (!isEventType(record['type']) || !record['user_id'] || !record['at']) return undefined;
  return { id, type: record['type'], user_id: record['user_id'], at: record['at'] };
}

/** Stream ids are `<ms>-<seq>`: compared as numbers, not as text. */
function parseId(id: string): [bigint, bigint] {
  const [ms = '0', seq = '0'] = id.split('-');
  return /^\d+$/.test(ms) && /^\d+$/.test(seq) ? [BigInt(ms), BigInt(seq)] : [0n, 0n];
}

function isAfter(id: string, other: string): boolean {
  const [ms, seq] = parseId(id);
  const [otherMs, otherSeq] = parseId(other);
  return ms > otherMs || (ms === otherMs && seq > otherSeq);
}

/** The smallest id after `id`: XRANGE's start is inclusive. */
function nextId(id: string): string {
  const [ms, seq] = parseId(id);
  return `${ms}-${seq + 1n}`;
}

type StreamEntries = Array<[id: string, fields: string[]]>;
type StreamReply = Array<[key: string, entries: StreamEntries]> | null;

/** `namespace` (the issuer) keeps deployments that share a Redis from reading each other's feed. */
export function createRedisEventBus(redis: RedisClient, namespace: string): EventBus {
  const STREAM = `tessera:{${namespace}}:users:events`;
  const live = new EventEmitter();
  live.setMaxListeners(0);
  let reader: RedisClient | undefined;
  let subscribers = 0;

  const latestId = async () => (await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

  async function follow(connection: RedisClient): Promise<void> {
    let cursor: string | undefined;
    while (reader === connection) {
      try {
        cursor ??= await latestId();
        const reply = (await connection.xread('BLOCK', BLOCK_MS, 'STREAMS', STREAM, cursor)) as StreamReply;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            cursor = id;
            const event = toEvent(id, fields);
            if (event) live.emit('event', event);
          }
        }
      } catch {
        if (reader === connection) await delay(RETRY_MS);
      }
    }
  }

  function join(): void {
    subscribers += 1;
    if (reader) return;
    const connection = duplicateForBlocking(redis);
    // The main connection reports outages; this one just waits for Redis to return.
    connection.on('error', () => undefined);
    reader = connection;
    void follow(connection);
  }

  function leave(): void {
    subscribers -= 1;
    if (subscribers > 0 || !reader) return;
    const connection = reader;
    reader = undefined;
    connection.disconnect();
  }

  async function* replay(after: string): AsyncGenerator<UserEvent> {
    let start = nextId(after);
    for (;;) {
      const entries = (await redis.xrange(STREAM, start, '+', 'COUNT', REPLAY_BATCH)) as StreamEntries;
      for (const [id, fields] of entries) {
        const event = toEvent(id, fields);
        if (event) yield event;
        start = nextId(id);
      }
      if (entries.length < REPLAY_BATCH) return;
    }
  }

  return {
    async publish(type, userId) {
      // The write this event reports has committed: a Redis outage must not turn it into an
      // error. Subscribers miss what is published while Redis is away (the connection warns).
      await redis
        .xadd(STREAM, 'MAXLEN', '~', MAX_ENTRIES, '*', 'type', type, 'user_id', userId, 'at', new Date().toISOString())
        .catch(() => undefined);
    },

    async *subscribe({ userId, lastEventId, signal }) {
      const matches = (event: UserEvent) => !userId || event.user_id === userId;
      // Listen before catching up, so nothing published meanwhile falls between the two.
      const events = on(live, 'event', signal ? { signal } : {});
      join();
      try {
        let last = lastEventId ?? (await latestId());
        for await (const event of replay(last)) {
          last = event.id;
          if (matches(event)) yield event;
        }
        for await (const [event] of events as AsyncIterable<[UserEvent]>) {
          if (!isAfter(event.id, last)) continue;
          last = event.id;
          if (matches(event)) yield event;
        }
      } catch (error) {
        if (!signal?.aborted) throw error;
      } finally {
        leave();
      }
    },
  };
}
