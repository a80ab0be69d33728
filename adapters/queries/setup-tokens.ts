/**
 * SQL for the setup links of a fresh install (migration 0009): tokens are stored as their
 * SHA-256 only, with when they expire and when they were used. No rules here: the caller says
 * what "now" is and what a token is worth.
 */
import { QueryTypes } from 'sequelize';
import { holdAdvisoryLock } from '../sequelize/advisory-locks.js';
import type { Models } from '../sequelize/models.js';
import type { Transaction } from './transaction.js';

export interface SetupTokenRecord {
  expires_at: Date;
  used_at: Date | null;
}

export function createSetupTokenQueries(models: Models) {
  const { sequelize } = models;
  return {
    /** Stores a new token's hash, and forgets those expired before `now`. */
    async insert(tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
      await sequelize.query(`DELETE FROM admin_setup_tokens WHERE expires_at < $1`, { bind: [now] });
      await sequelize.query(`INSERT INTO admin_setup_tokens (token_hash, expires_at) VALUES ($1, $2)`, { bind: [tokenHash, expiresAt] });
    },

    async find(tokenHash: string, transaction?: Transaction): Promise<SetupTokenRecord | undefined> {
      const [row] = await sequelize.query<SetupTokenRecord>(`SELECT expires_at, used_at FROM admin_setup_tokens WHERE token_hash = $1`, {
        bind: [tokenHash],
        type: QueryTypes.SELECT,
        transaction: transaction ?? null,
      });
      return row;
    },

    async markUsed(tokenHash: string, now: Date, transaction: Transaction): Promise<void> {
      await sequelize.query(`UPDATE admin_setup_tokens SET used_at = $2 WHERE token_hash = $1`, { bind: [tokenHash, now], transaction });
    },

    /** Runs fn in a transaction holding the cluster-wide lock of the first administrator's creation. */
    exclusively<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
      return sequelize.transaction(async (transaction) => {
        await holdAdvisoryLock(sequelize, 'firstAdministrator', transaction);
        return fn(transaction);
      });
    },
  };
}

export type SetupTokenQueries = ReturnType<typeof createSetupTokenQueries>;
