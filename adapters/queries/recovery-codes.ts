/**
 * SQL for recovery codes (migration 0016): digests only. A code is spent by one conditional
 * UPDATE, so two requests racing with the same code cannot both be accepted.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';

export interface RecoveryCodeSummary {
  remaining: number;
  created_at: Date;
  last_used_at: Date | null;
}

export function createRecoveryCodeQueries(models: Models) {
  const { sequelize } = models;

  return {
    /** The user's codes become exactly these: earlier ones, used or not, are gone. */
    async replace(userId: string, codeHashes: readonly string[]): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await sequelize.query(`DELETE FROM recovery_codes WHERE user_id = $1`, { bind: [userId], transaction });
        await sequelize.query(`INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])`, {
          bind: [userId, codeHashes],
          transaction,
        });
      });
    },

    /** Marks the code used; false when the user has no such code or it was used already. */
    async spend(userId: string, codeHash: string): Promise<boolean> {
      const rows = await sequelize.query(
        `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash`,
        { bind: [userId, codeHash], type: QueryTypes.SELECT },
      );
      return rows.length > 0;
    },

    /** Undefined when the user holds no codes at all. */
    async summary(userId: string): Promise<RecoveryCodeSummary | undefined> {
      const [row] = await sequelize.query<{ remaining: string; created_at: Date | null; last_used_at: Date | null }>(
        `SELECT count(*) FILTER (WHERE used_at IS NULL) AS remaining, min(created_at) AS created_at, max(used_at) AS last_used_at
           FROM recovery_codes WHERE user_id = $1`,
        { bind: [userId], type: QueryTypes.SELECT },
      );
      if (!row?.created_at) return undefined;
      return { remaining: Number(row.remaining), created_at: row.created_at, last_used_at: row.last_used_at };
    },

    /** False when the user held none. */
    async removeAll(userId: string): Promise<boolean> {
      const rows = await sequelize.query(`DELETE FROM recovery_codes WHERE user_id = $1 RETURNING code_hash`, {
        bind: [userId],
        type: QueryTypes.SELECT,
      });
      return rows.length > 0;
    },
  };
}

export type RecoveryCodeQueries = ReturnType<typeof createRecoveryCodeQueries>;
