/**
 * The password rules of the identity whose password a person sets: their own database or
 * custom database identity (not a linked one), read from the connection it was loaded with,
 * so a page can show the rule before the person submits anything.
 */
import type { IdentityRecord, UserRecord, UserWithIdentities } from '../../adapters/queries/records.js';
import { customCredential } from '../connections/custom/lifecycle.js';
import { customOptions } from '../connections/custom/options.js';
import { databaseCredential, databaseOptions } from '../connections/database-connection.js';
import { strategyTraits } from '../connections/strategies.js';

export interface PasswordRules {
  readonly min_length: number;
}

/** The identity whose password the person types and sets: their database or custom database one, never a linked one. */
export function ownPasswordIdentity(user: UserRecord, identities: readonly IdentityRecord[]): IdentityRecord | undefined {
  return databaseCredential(user, identities) ?? customCredential(user, identities);
}

/** undefined: the user has no password of their own to set (only upstream or linked identities). */
export function passwordRulesOf({ user, identities }: UserWithIdentities): PasswordRules | undefined {
  const connection = ownPasswordIdentity(user, identities)?.connection;
  if (!connection) return undefined;
  const options = strategyTraits(connection.strategy)?.scriptedUsers ? customOptions(connection.options) : databaseOptions(connection);
  return { min_length: options.password_policy.min_length };
}
