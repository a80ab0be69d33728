/**
 * Clients and users for tests, created through the same services the CLI and the management API use.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import type { ClientMetadata } from '../../server/clients/client-store.js';
import type { NewDatabaseUser } from '../../server/profiles/profile-service.js';
import type { Tessera } from '../../server/tessera.js';
import { REDIRECT_URI } from './relying-party.js';

export async function createClient(tessera: Tessera, overrides: Partial<ClientMetadata> = {}) {
  const metadata: ClientMetadata = {
    client_id: `client-${randomBytes(4).toString('hex')}`,
    client_secret: randomBytes(32).toString('base64url'),
    client_name: 'Test App',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    is_first_party: true,
    ...overrides,
  };
  // Metadata as given, fields the API does not offer included; test clients log in with the default connection.
  await tessera.services.management.clients.register(metadata, [DEFAULT_DATABASE_CONNECTION]);
  return metadata as ClientMetadata & { client_secret: string };
}

export async function createUser(tessera: Tessera, overrides: Partial<NewDatabaseUser> = {}) {
  const password = overrides.password ?? 'correct horse battery';
  const email = overrides.email ?? `user-${randomBytes(4).toString('hex')}@example.com`;
  const profile = await tessera.services.profiles.createDatabaseUser({
    connection: DEFAULT_DATABASE_CONNECTION,
    email,
    password,
    ...overrides,
  });
  return { profile, email, password };
}
