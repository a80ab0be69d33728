/**
 * The first login after an import (or a change of Tessera's argon2id parameters) replaces the
 * stored hash by today's argon2id of the password just verified, so imported bcrypt, pbkdf2 or
 * SHA hashes leave the database one login at a time. A rehash is no change of password: the
 * user's pending account links (verify, reset) are carried over to the new hash's stamp.
 * It never fails the login it follows: a rehash that cannot be done now is done at a later one.
 */
import type { IdentityRecord } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { AccountTickets } from '../accounts/account-tickets.js';
import type { Logger } from '../logger.js';
import { hashPassword, needsRehash } from '../passwords.js';

export interface LoginRehashDependencies {
  users: Pick<UserQueries, 'findById' | 'replacePasswordHash' | 'transaction'>;
  tickets: Pick<AccountTickets, 'carryOver'>;
  logger: Logger;
}

/** Called with the identity whose stored hash `password` has just matched. */
export type LoginRehash = (identity: Pick<IdentityRecord, 'id' | 'user_id' | 'password_hash'>, password: string) => Promise<void>;

export function createLoginRehash({ users, tickets, logger }: LoginRehashDependencies): LoginRehash {
  return async (identity, password) => {
    const previous = identity.password_hash;
    if (!previous || !needsRehash(previous)) return;
    try {
      const next = await hashPassword(password);
      await users.transaction(async (transaction) => {
        const before = await users.findById(identity.user_id, transaction);
        // Only the hash this login verified is replaced: one written meanwhile is a password change, and wins.
        if (!before || !(await users.replacePasswordHash(identity.id, previous, next, transaction))) return;
        const identities = before.identities.map((held) => (held.id === identity.id ? { ...held, password_hash: next } : held));
        await tickets.carryOver(before, { ...before, identities }, transaction);
      });
    } catch (error) {
      logger.warn({ err: error, userId: identity.user_id }, 'the password hash could not be upgraded at login; a later login will');
    }
  };
}
