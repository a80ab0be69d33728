/**
 * SQL for the mail outbox (migration 0011). Rows are claimed with FOR UPDATE SKIP LOCKED and
 * their next attempt pushed past a lease in the same statement, so several nodes never send one
 * message twice and a node that dies mid-send leaves it due again after the lease. No rules
 * here: the caller says what "now", the lease and the next delay are.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import type { Transaction } from './transaction.js';

export interface OutboxRow {
  readonly id: string;
  readonly recipient: string;
  readonly kind: string;
  readonly message: string;
  readonly attempts: number;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** What an operator may see of a user's messages: never the message itself. */
export interface OutboxSummary {
  readonly id: string;
  readonly kind: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly created_at: Date;
  readonly sent_at: Date | null;
}

export interface NewOutboxRow {
  readonly id: string;
  readonly recipient: string;
  readonly kind: string;
  readonly message: string;
  readonly userId: string | undefined;
}

export function createMailOutboxQueries(models: Models) {
  const { sequelize } = models;
  return {
    async insert(row: NewOutboxRow, transaction?: Transaction): Promise<void> {
      await sequelize.query(`INSERT INTO mail_outbox (id, recipient, kind, message, user_id) VALUES ($1, $2, $3, $4, $5)`, {
        bind: [row.id, row.recipient, row.kind, row.message, row.userId ?? null],
        transaction: transaction ?? null,
      });
    },

    /** Takes up to `limit` due rows for this node, counting the attempt, and leases them until `leaseUntil`. */
    async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxRow[]> {
      return sequelize.query<OutboxRow>(
        `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2
         WHERE id IN (
           SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
         )
         RETURNING id, recipient, kind, message, attempts`,
        { bind: [now, leaseUntil, limit], type: QueryTypes.SELECT },
      );
    },

    /** Delivered: the sealed message, live link and all, is not kept a moment longer than needed. */
    async markSent(id: string, now: Date): Promise<void> {
      await sequelize.query(`UPDATE mail_outbox SET status = 'sent', sent_at = $2, last_error = NULL, message = '' WHERE id = $1`, {
        bind: [id, now],
      });
    },

    /** Deletes sent and failed messages created before `before`; pending ones stay, however old. */
    async sweepFinished(before: Date): Promise<number> {
      const [, result] = await sequelize.query(`DELETE FROM mail_outbox WHERE status <> 'pending' AND created_at < $1`, { bind: [before] });
      return (result as { rowCount?: number | null }).rowCount ?? 0;
    },

    /** Records a failure: due again at `retryAt`, or failed for good when it is undefined. */
    async markFailed(id: string, error: string, retryAt: Date | undefined): Promise<void> {
      await sequelize.query(
        `UPDATE mail_outbox SET last_error = $2, status = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
           next_attempt_at = COALESCE($3::timestamptz, next_attempt_at) WHERE id = $1`,
        { bind: [id, error, retryAt ?? null] },
      );
    },

    async forUser(userId: string, limit = 50): Promise<OutboxSummary[]> {
      return sequelize.query<OutboxSummary>(
        `SELECT id, kind, status, attempts, last_error, created_at, sent_at FROM mail_outbox
         WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2`,
        { bind: [userId, limit], type: QueryTypes.SELECT },
      );
    },
  };
}

export type MailOutboxQueries = ReturnType<typeof createMailOutboxQueries>;
