/**
 * The management API as a resource server: its audience, the scopes a machine client or a user
 * can be granted for it (docs/contract.md's procedure table), the self-service scopes of a user's
 * own token, and the one rule for granting scopes: nobody hands out more than they hold.
 */
import { DomainError } from '../errors.js';

export const MANAGEMENT_SCOPES = [
  'read:users',
  'create:users',
  'update:users',
  'delete:users',
  'read:user_idp_tokens',
  'read:clients',
  'create:clients',
  'update:clients',
  'delete:clients',
  'read:connections',
  'create:connections',
  'update:connections',
  'delete:connections',
  'read:signing_keys',
  'create:signing_keys',
  'read:resource_servers',
  'create:resource_servers',
  'update:resource_servers',
  'delete:resource_servers',
] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

/** What a user's own token may carry for me.*, with Auth0's names (docs/contract.md). */
export const SELF_SERVICE_SCOPES = [
  'read:current_user',
  'update:current_user_metadata',
  'update:current_user',
  'update:current_user_identities',
  'delete:current_user',
] as const;

export type SelfServiceScope = (typeof SELF_SERVICE_SCOPES)[number];

export function managementAudience(issuer: string): string {
  return `${issuer}/api/v2/`;
}

export function isManagementScopeList(value: unknown): value is ManagementScope[] {
  return Array.isArray(value) && value.every((scope) => (MANAGEMENT_SCOPES as readonly unknown[]).includes(scope));
}

/** The management scopes a client's or a user's `management_scopes` allows it, in canonical order; anything else as none. */
export function allowedManagementScopes(granted: unknown): ManagementScope[] {
  const allowed = new Set(isManagementScopeList(granted) ? granted : []);
  return MANAGEMENT_SCOPES.filter((scope) => allowed.has(scope));
}

/** The scopes of `scopes` the caller does not hold. */
export const scopesNotHeld = (scopes: readonly string[], callerScopes: ReadonlySet<string>) =>
  scopes.filter((scope) => !callerScopes.has(scope));

/** A caller cannot hand a client or a user more of the management API than it holds itself. */
export function checkGrantable(scopes: readonly string[], callerScopes: ReadonlySet<string>): void {
  const missing = scopesNotHeld(scopes, callerScopes);
  if (missing.length > 0) {
    throw new DomainError(
      'client.scope_not_held',
      `cannot grant management scopes this token does not hold: ${missing.join(', ')}`,
      'management_scopes',
    );
  }
}

/**
 * Nor change a client or a user that holds more than the caller: a client's secret, a user's
 * password or email, or their very existence would let the caller take (or take away) what it
 * was never given. `holder` names them in the message ("client abc", "user database|42").
 */
export function checkManageable(holder: string, held: readonly string[], callerScopes: ReadonlySet<string>, field: string): void {
  const missing = scopesNotHeld(held, callerScopes);
  if (missing.length > 0) {
    throw new DomainError(
      'client.scope_not_held',
      `${holder} holds management scopes this token does not hold (${missing.join(', ')}); only a caller holding all of them can change it`,
      field,
    );
  }
}
