/**
 * The store's own errors, so that code above adapters/ branches on them and never on the ORM's
 * classes. A write refused by a uniqueness rule is a StoreConflict; what it conflicts with is
 * the caller's to say (a user that exists, a connection name taken), since only it knows what
 * the write meant.
 */
import { UniqueConstraintError } from 'sequelize';

export class StoreConflict extends Error {
  override name = 'StoreConflict';
}

/** The write's result, or a StoreConflict (wrapping the driver's error) when a unique constraint refused it. */
export async function reportingConflicts<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof UniqueConstraintError) throw new StoreConflict('a unique constraint refused the write', { cause: error });
    throw error;
  }
}

/** A token written under a grant that no longer exists: it was revoked while the token was issued. */
export class GrantGone extends Error {
  override name = 'GrantGone';
  constructor() {
    super('the grant was revoked');
  }
}
