/**
 * Delivers the outbox: claims due rows (each node its own, SKIP LOCKED), sends them through the
 * transport, and on failure schedules the next attempt with back-off until it gives up and
 * marks the message failed. Logs name the message id, kind and attempt, never the message.
 */
import type { Logger } from 'pino';
import type { MailOutboxQueries } from '../../adapters/queries/mail-outbox.js';
import { unsealMessage } from './sealed-message.js';
import type { MailTransport } from './transport.js';

/** 30 s, 2 min, 10 min, 1 h, 6 h: a message is given up after the sixth failed attempt. */
export const DEFAULT_RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 3_600_000, 21_600_000] as const;

export interface OutboxWorkerOptions {
  readonly outbox: MailOutboxQueries;
  readonly transport: MailTransport;
  readonly sealingKey: Buffer;
  readonly logger: Logger;
  /** Delay before attempt n+1 after attempt n failed; its length + 1 is the number of attempts. */
  readonly retryDelaysMs?: readonly number[];
  readonly pollIntervalMs?: number;
  /** How long a claimed row stays invisible to other nodes while this one sends it. */
  readonly leaseMs?: number;
  readonly batchSize?: number;
  readonly now?: () => Date;
}

export interface OutboxWorker {
  start(): void;
  /** Delivers what is due now; resolves once this pass is done. */
  runOnce(): Promise<number>;
  /** Asks for a pass soon, e.g. right after a message was queued. */
  wake(): void;
  stop(): Promise<void>;
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { outbox, transport, sealingKey, logger } = options;
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const leaseMs = options.leaseMs ?? 300_000;
  const batchSize = options.batchSize ?? 20;
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let following: Promise<number> | undefined;
  let stopped = true;
  let closed = false;

  async function deliver(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const start = now();
      const rows = await outbox.claimDue(start, new Date(start.getTime() + leaseMs), batchSize);
      for (const row of rows) {
        try {
          const { messageId } = await transport.send(unsealMessage(sealingKey, row.id, row.message));
          await outbox.markSent(row.id, now());
          delivered += 1;
          logger.info({ mail: row.id, kind: row.kind, recipients: 1, messageId, attempts: row.attempts }, 'mail sent');
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          const delay = retryDelays[row.attempts - 1];
          const retryAt = delay === undefined ? undefined : new Date(now().getTime() + delay);
          await outbox.markFailed(row.id, reason, retryAt);
          logger.warn(
            { mail: row.id, kind: row.kind, attempts: row.attempts, error: reason, retryAt },
            retryAt ? 'mail not sent, will retry' : 'mail not sent, giving up',
          );
        }
      }
      if (rows.length < batchSize) return delivered;
    }
  }

  function pass(): Promise<number> {
    running = deliver()
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'mail outbox pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  /**
   * A pass under way may have looked for due rows before the caller's message was committed:
   * the caller then gets the pass after it (one, shared by every caller meanwhile).
   */
  function runOnce(): Promise<number> {
    if (!running) return pass();
    following ??= running.then(() => {
      following = undefined;
      return closed ? 0 : pass();
    });
    return following;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, pollIntervalMs);
    timer.unref();
  }

  return {
    start() {
      stopped = false;
      logger.info({ where: transport.where }, 'mail goes to');
      void runOnce();
      schedule();
    },
    runOnce,
    wake() {
      if (!stopped) void runOnce();
    },
    async stop() {
      stopped = true;
      closed = true;
      clearTimeout(timer);
      await following;
      await running;
      transport.close();
    },
  };
}
