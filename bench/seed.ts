/** The data a benchmark needs in Tessera, made through its services: a first-party web client, an ES256 API, database users. */
import { randomBytes } from 'node:crypto';
import { DEFAULT_DATABASE_CONNECTION } from '../server/clients/bootstrap.js';
import type { Tessera } from '../server/tessera.js';
import { registerEs256Api } from './es256-api.js';
import { type ClientCredentials, REDIRECT_URI } from './target.js';

export async function seedWebClient(tessera: Tessera, redirectUri: string): Promise<ClientCredentials> {
  const clientId = 'bench-web-client';
  const clientSecret = randomBytes(32).toString('base64url');
  await tessera.services.clients.save({
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'Benchmark App',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    is_first_party: true,
  });
  // A client can log users in only through the connections enabled for it.
  const connection = await tessera.services.connections.findByName(DEFAULT_DATABASE_CONNECTION);
  if (!connection) throw new Error(`connection ${DEFAULT_DATABASE_CONNECTION} is missing`);
  await tessera.services.connections.setEnabledForClient(clientId, [connection.id]);
  return { clientId, clientSecret };
}

export async function seedUser(tessera: Tessera, username = 'bench@example.com'): Promise<{ username: string; password: string }> {
  const password = randomBytes(18).toString('base64url');
  await tessera.services.profiles.createDatabaseUser({
    connection: DEFAULT_DATABASE_CONNECTION,
    email: username,
    email_verified: true,
    password,
    name: 'Bench User',
    given_name: 'Bench',
    family_name: 'User',
    nickname: 'bench',
    locale: 'en',
  });
  return { username, password };
}

/** Separate users, so logins side by side do not all wait on one user's row (nor move its profile's cache version under each other). */
const LOGIN_USERS = 8;

/**
 * Everything every benchmark server of Tessera's needs: the web client, the ES256 API granted to
 * the machine client, and the users the password logins take turns with (the first is also the
 * one tokens are issued for).
 */
export async function seedBenchmark(tessera: Tessera, machineClientId: string) {
  const webClient = await seedWebClient(tessera, REDIRECT_URI);
  await registerEs256Api(tessera, machineClientId);
  const loginForms: Array<{ username: string; password: string }> = [];
  for (let i = 0; i < LOGIN_USERS; i += 1) loginForms.push(await seedUser(tessera, `bench-${i}@example.com`));
  const [loginForm] = loginForms;
  if (!loginForm) throw new Error('no benchmark user was seeded');
  return { webClient, loginForm, loginForms };
}
