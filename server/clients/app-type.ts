/**
 * Auth0's application type of a client (`app_type`), which Tessera does not store but reads from
 * the settings that make it: a machine uses client_credentials alone, a client without a secret
 * is a single-page (or native) application, any other signs people in with its secret. The
 * client list's filter (adapters/queries/clients.ts) says the same in SQL.
 */
import type { StoredAppType } from '../../adapters/queries/clients.js';

export const APP_TYPES = ['spa', 'regular_web', 'non_interactive'] as const satisfies readonly StoredAppType[];
export type AppType = (typeof APP_TYPES)[number];

export function appTypeOf(settings: { grant_types: readonly string[]; token_endpoint_auth_method: string }): AppType {
  if (settings.grant_types.length === 1 && settings.grant_types[0] === 'client_credentials') return 'non_interactive';
  if (settings.token_endpoint_auth_method === 'none') return 'spa';
  return 'regular_web';
}
