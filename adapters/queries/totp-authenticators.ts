/**
 * SQL for authenticator apps (migration 0016). The secret is stored as the caller sealed it.
 * A code is spent by one conditional UPDATE on `last_step`, so two requests racing with the
 * same code cannot both be accepted.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';

export interface TotpAuthenticatorRecord {
  id: string;
  user_id: string;
  name: string;
  secret: string;
  confirmed_at: Date | null;
  last_step: string | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, user_id, name, secret, confirmed_at, last_step, last_used_at, created_at';

export function createTotpAuthenticatorQueries(models: Models) {
  const { sequelize } = models;
  const select = (sql: string, bind: unknown[]) => sequelize.query<TotpAuthenticatorRecord>(sql, { bind, type: QueryTypes.SELECT });

  return {
    /** Inserts an unconfirmed authenticator, dropping the user's earlier unconfirmed ones: one enrolment at a time. */
    async insertUnconfirmed(record: { id: string; userId: string; name: string; secret: string }): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await sequelize.query(`DELETE FROM totp_authenticators WHERE user_id = $1 AND confirmed_at IS NULL`, {
          bind: [record.userId],
          transaction,
        });
        await sequelize.query(`INSERT INTO totp_authenticators (id, user_id, name, secret) VALUES ($1, $2, $3, $4)`, {
          bind: [record.id, record.userId, record.name, record.secret],
          transaction,
        });
      });
    },

    async find(userId: string, id: string): Promise<TotpAuthenticatorRecord | undefined> {
      const [row] = await select(`SELECT ${COLUMNS} FROM totp_authenticators WHERE user_id = $1 AND id = $2`, [userId, id]);
      return row;
    },

    async listConfirmed(userId: string): Promise<TotpAuthenticatorRecord[]> {
      return select(`SELECT ${COLUMNS} FROM totp_authenticators WHERE user_id = $1 AND confirmed_at IS NOT NULL ORDER BY created_at`, [
        userId,
      ]);
    },

    /**
     * Records that the code of time step `step` was used, confirming the authenticator if it was
     * not yet; false when a code of this step or a later one was used already.
     */
    async spendStep(userId: string, id: string, step: number): Promise<boolean> {
      const rows = await sequelize.query(
        `UPDATE totp_authenticators
            SET last_step = $3, last_used_at = now(), confirmed_at = coalesce(confirmed_at, now())
          WHERE user_id = $1 AND id = $2 AND (last_step IS NULL OR last_step < $3)
          RETURNING id`,
        { bind: [userId, id, step], type: QueryTypes.SELECT },
      );
      return rows.length > 0;
    },

    async remove(userId: string, id: string): Promise<boolean> {
      const rows = await sequelize.query(`DELETE FROM totp_authenticators WHERE user_id = $1 AND id = $2 RETURNING id`, {
        bind: [userId, id],
        type: QueryTypes.SELECT,
      });
      return rows.length > 0;
    },

    /** Enrolments never confirmed, older than `maxAgeSeconds`: a key shown once and abandoned. */
    async sweepUnconfirmed(maxAgeSeconds: number): Promise<void> {
      await sequelize.query(
        `DELETE FROM totp_authenticators WHERE confirmed_at IS NULL AND created_at < now() - make_interval(secs => $1)`,
        { bind: [maxAgeSeconds] },
      );
    },

    async removeAll(userId: string): Promise<void> {
      await sequelize.query(`DELETE FROM totp_authenticators WHERE user_id = $1`, { bind: [userId] });
    },
  };
}

export type TotpAuthenticatorQueries = ReturnType<typeof createTotpAuthenticatorQueries>;
