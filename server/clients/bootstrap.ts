/**
 * What every start makes sure exists: the default database connection, and the admin
 * machine-to-machine client from ADMIN_CLIENT_ID / ADMIN_CLIENT_SECRET. Both are idempotent.
 */
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { Config } from '../config.js';
import { MANAGEMENT_SCOPES } from '../oidc/management-api.js';
import type { ClientStore } from './client-store.js';

export const DEFAULT_DATABASE_CONNECTION = 'Username-Password';

export async function ensureDefaultConnection(connections: ConnectionQueries): Promise<void> {
  if (await connections.findByName(DEFAULT_DATABASE_CONNECTION)) return;
  await connections
    .create({ id: 'con_default_database', name: DEFAULT_DATABASE_CONNECTION, strategy: 'database', options: {} })
    // Another node starting at the same moment may have created it first.
    .catch(async (error: unknown) => {
      if (!(await connections.findByName(DEFAULT_DATABASE_CONNECTION))) throw error;
    });
}

export async function ensureAdminClient(clients: ClientStore, admin: Config['adminClient']): Promise<void> {
  if (!admin) return;
  await clients.save({
    client_id: admin.clientId,
    client_secret: admin.clientSecret,
    client_name: 'Tessera administration',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    management_scopes: [...MANAGEMENT_SCOPES],
    is_first_party: true,
  });
}
