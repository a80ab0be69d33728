/**
 * The PostgreSQL advisory locks Tessera takes, numbered in one table so that no two uses share
 * a number by accident. Each is held for a transaction, so a node that dies mid-way never
 * leaves one behind.
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
import type { Sequelize, Transaction } from 'sequelize';

export const ADVISORY_LOCKS = {
  /** Nodes starting together apply each migration once. */
  migrations: 7265373,
  /** Key material is made, re-sealed or rotated by one node at a time. */
  keyMaterial: 7265374,
  /** The first administrator is created once, whichever node and setup link it comes through. */
  firstAdministrator: 7265379,
} as const;

export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;

/** Waits for the lock; it is released when the transaction ends. */
export async function holdAdvisoryLock(sequelize: Sequelize, lock: AdvisoryLock, transaction: Transaction): Promise<void> {
  await sequelize.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS[lock]})`, { transaction });
}
