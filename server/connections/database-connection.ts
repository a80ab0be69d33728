/**
 * The `database` strategy: users whose credentials Tessera itself holds, logging in by email
 * or username with an argon2id-hashed password (or a hash imported from elsewhere, replaced by
 * argon2id at the first login it lets through).
 */
import { z } from 'zod';
import type { ConnectionRecord, IdentityRecord, UserRecord } from '../../adapters/queries/records.js';
import { DomainError } from '../errors.js';
import { verifyAgainstNothing, verifyPassword } from '../passwords.js';
import { isPrimaryIdentity } from '../profiles/profile.js';
import { credentialsRefused } from './credentials-refused.js';
import type { StrategyDependencies } from './strategies.js';
import { strategyTraits } from './strategies.js';
import type { CredentialStrategy, UpstreamUser } from './strategy.js';

/** Shorter passwords fall to online guessing even when it is throttled (NIST SP 800-63B §3.1.1.2). */
export const MIN_PASSWORD_LENGTH = 8;

export const passwordPolicySchema = z
  .strictObject({
    min_length: z.number().int().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH}`).max(128).default(MIN_PASSWORD_LENGTH),
  })
  .default({ min_length: MIN_PASSWORD_LENGTH });

/** Connections stored before the floor may hold a lower min_length: they are read at the floor. */
export function raiseToPasswordFloor(options: unknown): unknown {
  if (typeof options !== 'object' || options === null || !('password_policy' in options)) return options;
  const policy = options.password_policy;
  if (typeof policy !== 'object' || policy === null || !('min_length' in policy)) return options;
  if (typeof policy.min_length !== 'number' || policy.min_length >= MIN_PASSWORD_LENGTH) return options;
  return { ...options, password_policy: { ...policy, min_length: MIN_PASSWORD_LENGTH } };
}

export const databaseOptionsSchema = z
  .object({
    password_policy: passwordPolicySchema,
    requires_username: z.boolean().default(false),
    /** Auth0's option: true hides the login page's "Sign up" link and refuses sign-ups; people are then created by operators only. */
    disable_signup: z.boolean().default(false),
  })
  .strict();

export type DatabaseOptions = z.infer<typeof databaseOptionsSchema>;

export function databaseOptions(connection: ConnectionRecord): DatabaseOptions {
  return databaseOptionsSchema.parse(raiseToPasswordFloor(connection.options));
}

/** The database identity whose credentials follow the root email, username and password (not a linked one's). */
export function databaseCredential(user: UserRecord, identities: readonly IdentityRecord[]): IdentityRecord | undefined {
  return identities.find((identity) => strategyTraits(identity.provider)?.ownsCredentials && isPrimaryIdentity(user, identity));
}

export function checkPasswordPolicy(options: Pick<DatabaseOptions, 'password_policy'>, password: string): void {
  if (password.length < options.password_policy.min_length) {
    throw new DomainError('password.too_weak', `password must be at least ${options.password_policy.min_length} characters`, 'password');
  }
}

/**
 * Logs in by the identity's email or username, never saying which half was wrong. The user is
 * Tessera's own, so it signs in as stored (`storedUserId`): there is nothing upstream to refresh.
 */
export function createDatabaseStrategy({ users, rehash }: StrategyDependencies): CredentialStrategy {
  return {
    kind: 'credentials',
    async authenticate(connection: ConnectionRecord, login: string, password: string): Promise<UpstreamUser> {
      const identity = login ? await users.findDatabaseIdentity(connection.id, login.trim()) : undefined;
      const ok = identity?.password_hash ? await verifyPassword(identity.password_hash, password) : await verifyAgainstNothing(password);
      if (!ok || !identity) throw credentialsRefused();
      await rehash(identity, password);
      return { id: identity.external_id, attributes: identity.profile_data, storedUserId: identity.user_id };
    },
  };
}
