/**
 * The account page's own OIDC client, registered by every node at every start as the console's
 * is (./console-client.ts): public, code flow with PKCE, first-party so nobody meets a consent
 * page for their own account, coming back to `$ISSUER/account/callback`. Its fixed id
 * `tessera-account` is what the page asks for. It offers every connection of the tenant on its
 * login page, whatever is enabled for it: a person of any connection manages their account there.
 */
import type { ClientMetadata, ClientStore } from './client-store.js';

export const ACCOUNT_CLIENT_ID = 'tessera-account';

/** Where the account page is served: `$ISSUER/account`. */
export const accountUrl = (issuer: string) => `${issuer}/account`;

export function accountClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Tessera account',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    // No refresh token: the page keeps its token in memory, as the console does.
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${accountUrl(issuer)}/callback`],
    post_logout_redirect_uris: [`${accountUrl(issuer)}/`],
    id_token_signed_response_alg: 'RS256',
    is_first_party: true,
    require_pkce: true,
  };
}

/** Idempotent, and safe on nodes starting together: the same metadata is written by each. */
export async function ensureAccountClient(clients: ClientStore, issuer: string): Promise<void> {
  await clients.save(accountClientMetadata(issuer));
}

/** The login page offers this client every connection, not only those enabled for it. */
export const offersEveryConnection = (clientId: string) => clientId === ACCOUNT_CLIENT_ID;
