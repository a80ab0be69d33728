/**
 * The API the `client_credentials (ES256)` scenario asks tokens for: registered in Tessera with
 * signing_alg ES256, the management API's scope names (so its tokens carry the same claims as
 * the RS256 scenario's) and a grant of all of them to the benchmark's machine client.
 */
import { API_ACCESS_TOKEN_TTL_SECONDS } from '../server/oidc/lifetimes.js';
import { MANAGEMENT_SCOPES } from '../server/oidc/management-api.js';
import type { Tessera } from '../server/tessera.js';

export const ES256_API_IDENTIFIER = 'https://bench-es256.example.com/';

export async function registerEs256Api(tessera: Tessera, machineClientId: string): Promise<void> {
  await tessera.services.management.resourceServers.create({
    identifier: ES256_API_IDENTIFIER,
    name: 'Benchmark ES256 API',
    scopes: MANAGEMENT_SCOPES.map((value) => ({ value })),
    signing_alg: 'ES256',
    token_lifetime: API_ACCESS_TOKEN_TTL_SECONDS,
    client_grants: [{ client_id: machineClientId, scope: [...MANAGEMENT_SCOPES] }],
  });
}
