/**
 * Auth0's application type of a client (`app_type`), which Tessera does not store but reads from
 * the settings that make it: a machine uses client_credentials alone, a client without a secret
 * is a single-page (or native) application, any other signs people in with its secret. The
 * client list's filter (adapters/queries/clients.ts) says the same in SQL.
 */
import type { StoredAppType } from '../../adapters/queries/clients.js';

export const APP_TYPES = ['spa', 'regular_web', 'non_interactive'] as const satisfies readonly StoredAppType[];
export type AppType = (typeof APP_TYPES)[number];

/** A machine: client_credentials and nothing else. */
export const isMachineGrants = (grants: readonly string[]) => grants.length === 1 && grants[0] === 'client_credentials';

export function appTypeOf(settings: { grant_types: readonly string[]; token_endpoint_auth_method: string }): AppType {
  if (isMachineGrants(settings.grant_types)) return 'non_interactive';
  if (settings.token_endpoint_auth_method === 'none') return 'spa';
  return 'regular_web';
}
