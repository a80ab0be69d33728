/**
 * Verifies management API access tokens: JWTs this provider signed (with any published key,
 * so tokens from before a rotation still verify) for the audience `$ISSUER/api/v2/`.
 */
import { createLocalJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { type KeyMaterial, publicJwk, SIGNING_ALGS } from './key-store.js';
import { managementAudience } from './management-api.js';

export interface ApiCaller {
  /** The user's user_id for a user's own token, the client_id for client_credentials. */
  subject: string;
  clientId: string;
  scopes: ReadonlySet<string>;
  kind: 'user' | 'client';
}

const UNKNOWN_KEY_REFRESH_INTERVAL_MS = 10_000;

export class InvalidAccessTokenError extends Error {
  override name = 'InvalidAccessTokenError';
}

/**
 * `clientExists` is asked at every call: a JWT cannot be revoked, so deleting a client must
 * be what ends the management tokens it already holds.
 */
export function createAccessTokenVerifier(
  issuer: string,
  currentKeys: () => KeyMaterial,
  clientExists: (clientId: string) => Promise<boolean>,
  refreshKeys: () => Promise<void>,
) {
  let lastRefresh = 0;

  /** A key another node just made; reloading is rate-limited so made-up kids cost nothing. */
  async function refreshForUnknownKey(): Promise<boolean> {
    if (Date.now() - lastRefresh < UNKNOWN_KEY_REFRESH_INTERVAL_MS) return false;
    lastRefresh = Date.now();
    await refreshKeys();
    return true;
  }

  const audience = managementAudience(issuer);
  let cachedFor: KeyMaterial | undefined;
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;

  function keySet() {
    const keys = currentKeys();
    if (keys !== cachedFor || !jwks) {
      jwks = createLocalJWKSet({ keys: keys.signingKeys.map((key) => publicJwk(key.jwk)) });
      cachedFor = keys;
    }
    return jwks;
  }

  return async function verifyAccessToken(token: string): Promise<ApiCaller> {
    const verify = () => jwtVerify(token, keySet(), { issuer, audience, typ: 'at+jwt', algorithms: [...SIGNING_ALGS] });
    let payload: JWTPayload;
    try {
      ({ payload } = await verify().catch(async (error: unknown) => {
        if (error instanceof errors.JWKSNoMatchingKey && (await refreshForUnknownKey())) return verify();
        throw error;
      }));
    } catch (error) {
      throw new InvalidAccessTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    const clientId = typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined;
    if (!payload.sub || !clientId) throw new InvalidAccessTokenError('token has no subject or client');
    if (!(await clientExists(clientId))) throw new InvalidAccessTokenError('the client this token was issued to no longer exists');
    const scope = typeof payload['scope'] === 'string' ? payload['scope'] : '';
    return {
      subject: payload.sub,
      clientId,
      scopes: new Set(scope.split(' ').filter(Boolean)),
      kind: payload['gty'] === 'client-credentials' ? 'client' : 'user',
    };
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
