/**
 * The `database` strategy: users whose credentials Tessera itself holds, logging in by email
 * or username with an argon2id-hashed password.
 */
import { z } from 'zod';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { ConnectionRow } from '../../adapters/sequelize/models.js';
import { DomainError } from '../errors.js';
import { verifyAgainstNothing, verifyPassword } from '../passwords.js';

export const databaseOptionsSchema = z
  .object({
    password_policy: z
      .object({ min_length: z.number().int().min(1).max(128).default(8) })
      .strict()
      .default({ min_length: 8 }),
    requires_username: z.boolean().default(false),
  })
  .strict();

export type DatabaseOptions = z.infer<typeof databaseOptionsSchema>;

export function databaseOptions(connection: ConnectionRow): DatabaseOptions {
  return databaseOptionsSchema.parse(connection.options);
}

export function checkPasswordPolicy(options: DatabaseOptions, password: string): void {
  if (password.length < options.password_policy.min_length) {
    throw new DomainError(
      'password.too_weak',
      `password must be at least ${options.password_policy.min_length} characters`,
      'password',
    );
  }
}

const INVALID = 'Wrong email, username or password.';

/** Returns the user_id of the identity whose login and password match, never saying which half was wrong. */
export async function authenticateDatabaseUser(
  users: UserQueries,
  connection: ConnectionRow,
  login: string,
  password: string,
): Promise<string> {
  const identity = login ? await users.findDatabaseIdentity(connection.id, login.trim()) : undefined;
  const ok = identity?.password_hash
    ? await verifyPassword(identity.password_hash, password)
    : await verifyAgainstNothing(password);
  if (!ok || !identity) throw new DomainError('auth.invalid_credentials', INVALID);
  return identity.user_id;
}
