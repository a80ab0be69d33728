/**
 * The password rules of the identity whose password a person sets: their own database or
 * custom database identity (not a linked one), read from the connection it was loaded with,
 * so a page can show the rule before the person submits anything.
 */
import type { UserWithIdentities } from '../../adapters/queries/records.js';
import { customCredential } from '../connections/custom/lifecycle.js';
import { customOptions } from '../connections/custom/options.js';
import { databaseOptions } from '../connections/database-connection.js';
import { strategyTraits } from '../connections/strategies.js';
import { isPrimaryIdentity } from '../profiles/profile.js';

export interface PasswordRules {
  readonly min_length: number;
}

/** undefined: the user has no password of their own to set (only upstream or linked identities). */
export function passwordRulesOf({ user, identities }: UserWithIdentities): PasswordRules | undefined {
  const own = identities.find((identity) => strategyTraits(identity.provider)?.ownsCredentials && isPrimaryIdentity(user, identity));
  if (own?.connection) return { min_length: databaseOptions(own.connection).password_policy.min_length };
  const scripted = customCredential(user, identities);
  if (scripted?.connection) return { min_length: customOptions(scripted.connection.options).password_policy.min_length };
  return undefined;
}
