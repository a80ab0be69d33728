/**
 * SQL for account tickets (migration 0012). No rules here: the caller says what "now" is, and
 * what a ticket's stamp must be for it to be honoured.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import type { Transaction } from './transaction.js';

export interface AccountTicketRecord {
  purpose: string;
  user_id: string;
  email: string | null;
  credential_stamp: string;
  client_id: string | null;
  result_url: string | null;
  expires_at: Date;
  used_at: Date | null;
  /** Using the ticket also sets email_verified (a reset ticket's `mark_email_as_verified`). */
  mark_email_verified: boolean;
}

export interface NewAccountTicket {
  tokenHash: string;
  purpose: string;
  userId: string;
  email: string | undefined;
  credentialStamp: string;
  clientId: string | undefined;
  resultUrl: string | undefined;
  expiresAt: Date;
  markEmailVerified?: boolean | undefined;
}

const COLUMNS = 'purpose, user_id, email, credential_stamp, client_id, result_url, expires_at, used_at, mark_email_verified';

export function createAccountTicketQueries(models: Models) {
  const { sequelize } = models;
  return {
    async insert(ticket: NewAccountTicket, transaction?: Transaction): Promise<void> {
      await sequelize.query(
        `INSERT INTO account_tickets (token_hash, purpose, user_id, email, credential_stamp, client_id, result_url, expires_at, mark_email_verified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        {
          bind: [
            ticket.tokenHash,
            ticket.purpose,
            ticket.userId,
            ticket.email ?? null,
            ticket.credentialStamp,
            ticket.clientId ?? null,
            ticket.resultUrl ?? null,
            ticket.expiresAt,
            ticket.markEmailVerified === true,
          ],
          transaction: transaction ?? null,
        },
      );
    },

    async find(tokenHash: string, transaction?: Transaction): Promise<AccountTicketRecord | undefined> {
      const [row] = await sequelize.query<AccountTicketRecord>(`SELECT ${COLUMNS} FROM account_tickets WHERE token_hash = $1`, {
        bind: [tokenHash],
        type: QueryTypes.SELECT,
        transaction: transaction ?? null,
      });
      return row;
    },

    /**
     * Marks the ticket used if it is still unused and unexpired, and returns it; undefined when
     * another request took it first. The row stays locked until `transaction` ends, so what the
     * ticket does commits with its use or not at all.
     */
    async take(tokenHash: string, now: Date, transaction: Transaction): Promise<AccountTicketRecord | undefined> {
      const [row] = await sequelize.query<AccountTicketRecord>(
        `UPDATE account_tickets SET used_at = $2
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
          RETURNING ${COLUMNS}`,
        { bind: [tokenHash, now], type: QueryTypes.SELECT, transaction },
      );
      return row;
    },

    /** Gives the user's unused tickets stamped `previous` the stamp `next`. */
    async restamp(userId: string, previous: string, next: string, transaction: Transaction): Promise<void> {
      await sequelize.query(
        'UPDATE account_tickets SET credential_stamp = $3 WHERE user_id = $1 AND credential_stamp = $2 AND used_at IS NULL',
        { bind: [userId, previous, next], transaction },
      );
    },

    /** Forgets tickets that expired or were used before `before`. */
    async sweep(before: Date): Promise<number> {
      const [, result] = await sequelize.query(`DELETE FROM account_tickets WHERE expires_at < $1 OR used_at < $1`, { bind: [before] });
      return (result as { rowCount?: number } | undefined)?.rowCount ?? 0;
    },
  };
}

export type AccountTicketQueries = ReturnType<typeof createAccountTicketQueries>;
