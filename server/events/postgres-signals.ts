/**
 * Node signals without Redis, over PostgreSQL's LISTEN/NOTIFY. Without Redis there is one
 * server, but not one process: the operator CLI (`npm run cli -- import`, `connection create`)
 * writes to the same database beside it, and what the server holds in memory (memoized
 * sessions, grants and tokens, cached profiles, a client's connections) must hear of those
 * writes as it would of another node's. Every process listens on one channel, on a connection
 * of its own outside the pool (a listening session must stay open), and announces through the
 * pool.
 *
 * A process does not hear its own announcements: it has applied the change itself before
 * announcing it, and hearing it back later would drop what it has written since (a session it
 * keeps as written). Announcements leave in the order they were made, as users.events needs.
 *
 * Best effort, as over Redis: a notification sent while a listener is reconnecting is lost,
 * and what it would have dropped stays until its own expiry. A pooler in transaction mode
 * (PgBouncer's) does not keep a listening session; point DATABASE_URL at PostgreSQL itself.
 * @see https://www.postgresql.org/docs/current/sql-notify.html
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../logger.js';
import type { NodeSignal, NodeSignals } from './node-signals.js';

const CHANNEL = 'tessera_signals';
const RECONNECT_MS = 1_000;

type Handler = (detail: string) => Promise<void>;

export async function createPostgresNodeSignals(sequelize: Sequelize, databaseUrl: string, logger: Logger): Promise<NodeSignals> {
  const handlers = new Map<NodeSignal, Handler[]>();
  const origin = randomUUID();
  // The last announcement on its way: each waits for the one before, and closing waits for
  // the last, so a CLI that stops right after its write drops none.
  let sending: Promise<unknown> = Promise.resolve();
  let closed = false;
  let listener: pg.Client | undefined;

  function dispatch(payload: string) {
    const [from = '', signal = ''] = payload.split(' ', 2);
    if (from === origin) return;
    const detail = payload.slice(from.length + signal.length + 2);
    for (const handler of handlers.get(signal as NodeSignal) ?? []) {
      handler(detail).catch((error: unknown) => logger.error({ err: error, signal }, 'node signal handler failed'));
    }
  }

  async function listen(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', ({ channel, payload }) => {
      if (channel === CHANNEL && payload !== undefined) dispatch(payload);
    });
    // A lost connection emits 'error' and then 'end'; 'end' alone decides what happens next.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.once('end', () => {
      if (!closed) void keepListening();
    });
    return client;
  }

  async function keepListening() {
    logger.warn('postgres signal listener unavailable: reconnecting (changes by other processes may be missed meanwhile)');
    while (!closed) {
      await delay(RECONNECT_MS, undefined, { ref: false });
      if (closed) return;
      try {
        listener = await listen();
        logger.info('postgres signal listener back');
        if (closed) await listener.end();
        return;
      } catch {
        // Still unreachable: try again.
      }
    }
  }

  try {
    listener = await listen();
  } catch {
    void keepListening();
  }

  return {
    async announce(signal, detail) {
      const payload = `${origin} ${signal} ${detail ?? ''}`;
      sending = sending.then(() => sequelize.query('SELECT pg_notify($1, $2)', { bind: [CHANNEL, payload] }).catch(() => undefined));
      await sending;
    },
    on(signal, handler) {
      handlers.set(signal, [...(handlers.get(signal) ?? []), handler]);
    },
    async close() {
      await sending;
      closed = true;
      await listener?.end().catch(() => undefined);
    },
  };
}
