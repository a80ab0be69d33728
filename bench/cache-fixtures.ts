/**
 * What the cache benchmark needs in Tessera: many users, one userinfo access token per user,
 * and a management token for users.get.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_DATABASE_CONNECTION } from '../server/clients/bootstrap.js';
import { type Profile, toProfile } from '../server/profiles/profile.js';
import type { Tessera } from '../server/tessera.js';
import { issueUserTokens } from './login.js';
import { basicAuthorization, type ClientCredentials, type Target } from './target.js';

export const benchUserId = (index: number) => `database|cachebench${String(index).padStart(8, '0')}`;

// A real argon2id hash's length, so identity rows weigh what real ones do; nobody logs in as these users.
const PASSWORD_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${'c'.repeat(22)}$${'h'.repeat(43)}`;

/**
 * Inserts `count` users, each with its one database identity, in two set-based statements
 * (creating them one by one through the profile service would hash a password per user).
 * The rows look like what createDatabaseUser writes, with a little metadata.
 */
export async function seedBenchUsers(tessera: Tessera, count: number): Promise<string[]> {
  const connection = await tessera.services.connections.findByName(DEFAULT_DATABASE_CONNECTION);
  if (!connection) throw new Error(`connection ${DEFAULT_DATABASE_CONNECTION} is missing`);
  const { sequelize } = tessera.database;
  const id = `'database|cachebench' || lpad(i::text, 8, '0')`;
  const email = `'user' || i || '@cache-bench.example'`;
  await sequelize.query(
    `INSERT INTO users (id, email, email_verified, name, nickname, given_name, family_name, locale, user_metadata, app_metadata)
     SELECT ${id}, ${email}, true, 'Bench User ' || i, 'user' || i, 'Bench', 'User ' || i, 'en',
            jsonb_build_object('plan', 'pro', 'team', 'team-' || (i % 500), 'signup_source', 'web'),
            jsonb_build_object('roles', jsonb_build_array('member'))
     FROM generate_series(0, $1::int - 1) AS i`,
    { bind: [count] },
  );
  await sequelize.query(
    `INSERT INTO identities (user_id, connection_id, provider, external_id, is_social, profile_data, password_hash)
     SELECT ${id}, $2, 'database', 'cachebench' || lpad(i::text, 8, '0'), false, jsonb_build_object('email', ${email}), $3
     FROM generate_series(0, $1::int - 1) AS i`,
    { bind: [count, connection.id, PASSWORD_HASH] },
  );
  await sequelize.query('ANALYZE users, identities');
  return Array.from({ length: count }, (_, index) => benchUserId(index));
}

/** The profile service's own loader (profile-service.ts, loadProfile): one findById query. */
export function profileLoader(tessera: Tessera): (id: string) => Promise<Profile | undefined> {
  return async (id) => {
    const found = await tessera.services.users.findById(id);
    return found ? toProfile(found.user, found.identities) : undefined;
  };
}

async function inBatches<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

/**
 * One userinfo access token per user. Logging in through the HTML form for tens of thousands
 * of users would take minutes (an argon2 verification and seven requests each), so the tokens
 * are minted: one real login through Tessera's forms yields a grant and an access token, and
 * each user gets a copy of both through oidc-provider's own models (Grant and AccessToken,
 * saved through Tessera's adapters, so stored exactly where and how a login stores them) with
 * only accountId, grantId and the ids changed. The copies are then checked at /userinfo.
 */
export async function mintUserTokens(
  tessera: Tessera,
  target: Target,
  userIds: readonly string[],
  progress: (message: string) => void,
): Promise<string[]> {
  const { provider } = tessera.services.providers;
  const { accessToken: templateValue } = await issueUserTokens(target, 0);
  const template = await provider.AccessToken.find(templateValue);
  if (!template?.grantId) throw new Error('the template access token from the login was not found');
  // A token bound to the login's session would be rejected for any other account.
  if (template.expiresWithSession) throw new Error('the template access token expires with its session; cannot copy it to other users');
  const templateGrant = await provider.Grant.find(template.grantId);
  if (!templateGrant) throw new Error('the template grant was not found');
  const client = template.clientId ? await provider.Client.find(template.clientId) : undefined;
  if (!client) throw new Error("the template access token's client was not found");

  const fresh = { jti: undefined, iat: undefined, exp: undefined } as const;
  const started = performance.now();
  const tokens = await inBatches(userIds, 16, async (accountId) => {
    const grant = new provider.Grant({ ...templateGrant, ...fresh, accountId });
    const grantId = await grant.save();
    const token = new provider.AccessToken({ ...template, ...fresh, client, accountId, grantId });
    return token.save();
  });
  progress(`minted ${userIds.length} grants and access tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Spot checks through the real endpoint: first, middle and last copy answer with their own user.
  for (const index of new Set([0, Math.floor(userIds.length / 2), userIds.length - 1])) {
    const response = await fetch(`${target.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens[index]}` } });
    const body = (await response.json()) as { sub?: string };
    if (response.status !== 200 || body.sub !== userIds[index]) {
      throw new Error(`minted token ${index} failed at /userinfo: ${response.status} ${JSON.stringify(body)}`);
    }
  }
  return tokens;
}

/** A client_credentials token for the management API, as test/support/management-client.ts gets one. */
export async function managementToken(issuer: string, client: ClientCredentials, scope: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthorization(client) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no management token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** GET /trpc/users.get for one user, the way @trpc/client sends a single (unbatched) query. */
export function usersGetPath(id: string): string {
  return `/trpc/users.get?input=${encodeURIComponent(JSON.stringify({ id }))}`;
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export { inBatches };
