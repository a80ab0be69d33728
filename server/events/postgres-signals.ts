/**
 * Node signals without Redis, over PostgreSQL's LISTEN/NOTIFY. Without Redis there is one
 * server, but not one process: the operator CLI (`npm run cli -- import`, `connection create`)
 * writes to the same database beside it, and what the server holds in memory (memoized
 * sessions, grants and tokens, cached profiles, a client's connections) must hear of those
 * writes as it would of another node's. So the server listens, on a connection of its own
 * outside the pool (a listening session must stay open), and announces nothing: no other
 * process holds anything of its writes, and a notification per write would cost every login
 * and token a statement. The CLI announces through its pool, in order (users.events keeps
 * the order of a user's events), and does not listen.
 *
 * Best effort, as over Redis: a notification sent while the listener is reconnecting is lost,
 * and what it would have dropped stays until its own expiry. A pooler in transaction mode
 * (PgBouncer's) does not keep a listening session; point DATABASE_URL at PostgreSQL itself.
 * @see https://www.postgresql.org/docs/current/sql-notify.html
 */
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../logger.js';
import { createSignalHandlers, type NodeSignals, signalMessage } from './node-signals.js';

const CHANNEL = 'tessera_signals';
const RECONNECT_MS = 1_000;

/** The server's side: hears what the operator CLI announces. */
export async function listenForPostgresSignals(databaseUrl: string, logger: Logger): Promise<NodeSignals> {
  const handlers = createSignalHandlers(logger);
  let closed = false;
  let listener: pg.Client | undefined;

  async function listen(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', ({ channel, payload }) => {
      if (channel === CHANNEL && payload !== undefined) handlers.dispatch(payload);
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
    logger.warn('postgres signal listener unavailable: reconnecting (changes by the operator CLI may be missed meanwhile)');
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
    announce: async () => undefined,
    on: handlers.on,
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
    },
  };
}

/** The operator CLI's side: tells a server beside it what it changed. */
export function announcePostgresSignals(sequelize: Sequelize): NodeSignals {
  // The last announcement on its way: each waits for the one before, and closing waits for the
  // last, so a CLI that stops right after its write drops none.
  let sending: Promise<unknown> = Promise.resolve();
  return {
    async announce(signal, detail) {
      const message = signalMessage(signal, detail);
      sending = sending.then(() => sequelize.query('SELECT pg_notify($1, $2)', { bind: [CHANNEL, message] }).catch(() => undefined));
      await sending;
    },
    on: () => undefined,
    async close() {
      await sending;
    },
  };
}
