/**
 * The admin console's own OIDC client, registered by every node at every start: a public
 * client (the console is a single-page application with no secret to keep) using the
 * authorization code flow with PKCE, first-party so an operator meets no consent page, coming
 * back to `$ISSUER/admin/callback`. Its fixed id `tessera-console` is what the console asks for.
 * Tessera owns it (./reserved-clients.ts): clients.* may enable or disable its connections (how
 * operators log in), and nothing else; a start rewrites any other field back to what is here.
 */
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import { DEFAULT_DATABASE_CONNECTION } from './bootstrap.js';
import type { ClientMetadata, ClientStore } from './client-store.js';

export const CONSOLE_CLIENT_ID = 'tessera-console';

/** Where the console is served: `$ISSUER/admin`. */
export const consoleUrl = (issuer: string) => `${issuer}/admin`;

export function consoleClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Tessera console',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    // No refresh token: the console keeps its token in memory, and a new one costs a trip
    // through the login page, which the operator's session there usually answers at once.
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${consoleUrl(issuer)}/callback`],
    post_logout_redirect_uris: [`${consoleUrl(issuer)}/`],
    id_token_signed_response_alg: 'RS256',
    is_first_party: true,
    require_pkce: true,
  };
}

/** Idempotent, and safe on nodes starting together: the same metadata is written by each. */
export async function ensureConsoleClient(clients: ClientStore, connections: ConnectionQueries, issuer: string): Promise<void> {
  const existed = (await clients.find(CONSOLE_CLIENT_ID)) !== undefined;
  await clients.save(consoleClientMetadata(issuer));
  if (existed) return;
  // At first registration operators log in with the default database connection; clients.update may change that.
  const database = await connections.findByName(DEFAULT_DATABASE_CONNECTION);
  if (database) await connections.setEnabledForClient(CONSOLE_CLIENT_ID, [database.id]);
}
