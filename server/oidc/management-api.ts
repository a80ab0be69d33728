/**
 * The management API as a resource server: its audience, the scopes a machine client can be
 * granted for it (docs/contract.md's procedure table), and the self-service scopes of a user's own token.
 */
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
export const SELF_SERVICE_SCOPES = ['read:current_user', 'update:current_user_metadata'] as const;

export type SelfServiceScope = (typeof SELF_SERVICE_SCOPES)[number];

export function managementAudience(issuer: string): string {
  return `${issuer}/api/v2/`;
}

export function isManagementScopeList(value: unknown): value is ManagementScope[] {
  return Array.isArray(value) && value.every((scope) => (MANAGEMENT_SCOPES as readonly unknown[]).includes(scope));
}

/** The management scopes a client's `management_scopes` metadata allows it, in canonical order. */
export function allowedManagementScopes(granted: unknown): ManagementScope[] {
  const allowed = new Set(isManagementScopeList(granted) ? granted : []);
  return MANAGEMENT_SCOPES.filter((scope) => allowed.has(scope));
}
