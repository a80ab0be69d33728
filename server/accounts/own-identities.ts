/**
 * Linking and unlinking from the account page. To link, the person proves they are also the
 * other user: the account client signs them in a second time, fresh (prompt=login, max_age=0),
 * and hands over the ID token of that sign-in. It counts only if Tessera signed it, for the
 * account client, within the last ten minutes, for another user, and only once. The caller stays
 * the primary user; the other user's identities move under them and the other user is gone, its
 * sessions and grants revoked (server/users/account-linking.ts).
 * @see https://auth0.com/docs/manage-users/user-accounts/user-account-linking/suggested-account-linking
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { DomainError, isDomainError } from '../errors.js';
import { type KeyMaterial, publicJwk, SIGNING_ALGS } from '../oidc/key-store.js';
import type { Profile } from '../profiles/profile.js';
import type { UserService } from '../users/user-service.js';

/** The account page's own client (registered by Tessera at every start): the only audience a link's ID token may have. */
export const LINK_AUDIENCE = 'tessera-account';

/** How old the second sign-in may be: long enough to come back from it, too short to keep a token around. */
export const LINK_MAX_AGE_SECONDS = 10 * 60;

/** Clocks of nodes behind one issuer differ by a little. */
const CLOCK_TOLERANCE_SECONDS = 5;

export interface OwnIdentitiesDependencies {
  issuer: string;
  /** The provider's current keys; rotation replaces them, and older ones stay among them. */
  providers: { readonly keys: KeyMaterial };
  /** True the first time a key is seen before it expires (the login flows' replay cache). */
  replay: { remember(key: string, expiresAt: Date): Promise<boolean> };
  users: Pick<UserService, 'get' | 'link' | 'unlink'>;
  now?: () => number;
}

const refused = (message: string) => new DomainError('link.refused', message, 'id_token');

/** What jose found wrong, in words for the person; never its stack. */
function verificationProblem(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the ID token has expired: sign in to the other account again';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the ID token was issued to another application, not to ${LINK_AUDIENCE}`;
    if (error.claim === 'iss') return 'the ID token was not issued by this Tessera';
    return `the ID token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return "the ID token is not signed by this Tessera's keys";
  }
  return 'the ID token is not a valid signed JWT';
}

export function createOwnIdentities({ issuer, providers, replay, users, now = Date.now }: OwnIdentitiesDependencies) {
  let cachedFor: KeyMaterial | undefined;
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;

  function keySet() {
    const keys = providers.keys;
    if (keys !== cachedFor || !jwks) {
      jwks = createLocalJWKSet({ keys: keys.signingKeys.map((key) => publicJwk(key.jwk)) });
      cachedFor = keys;
    }
    return jwks;
  }

  async function verify(idToken: string): Promise<JWTPayload & { sub: string; exp: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, keySet(), {
        issuer,
        audience: LINK_AUDIENCE,
        algorithms: [...SIGNING_ALGS],
        requiredClaims: ['sub', 'exp', 'iat', 'auth_time'],
        currentDate: new Date(now()),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw refused(verificationProblem(error));
    }
    // An access token for an API named like the client, or a logout token, is not a sign-in.
    if ('events' in payload || ('scope' in payload && 'client_id' in payload)) throw refused('this is not an ID token');
    const azp = payload['azp'];
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && azp !== LINK_AUDIENCE) {
      throw refused(`the ID token was issued to another application, not to ${LINK_AUDIENCE}`);
    }
    const authTime = payload['auth_time'];
    const nowSeconds = Math.floor(now() / 1000);
    if (typeof authTime !== 'number' || authTime > nowSeconds + CLOCK_TOLERANCE_SECONDS)
      throw refused('the ID token has no valid auth_time');
    if (nowSeconds - authTime > LINK_MAX_AGE_SECONDS) {
      throw refused('the sign-in to the other account is older than 10 minutes: sign in to it again');
    }
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw refused('the ID token has no subject or expiry');
    return payload as JWTPayload & { sub: string; exp: number };
  }

  return {
    /** Links the user the ID token names into the caller, who stays primary; answers the caller's profile. */
    async link(callerId: string, idToken: string): Promise<Profile> {
      const { sub, exp } = await verify(idToken);
      if (sub === callerId) throw refused('the ID token is of the account you are signed in with: sign in to the other account');
      // Only a hash is kept: the token itself stays a secret of the person who signed in.
      const key = `me.link:${createHash('sha256').update(idToken).digest('base64url')}`;
      if (!(await replay.remember(key, new Date(exp * 1000))))
        throw refused('this ID token was used already: sign in to the other account again');
      // The token may predate a block or a deletion of its user; a blocked user's logins must not live on in the caller.
      const other = await users.get(sub).catch((error: unknown) => {
        if (isDomainError(error, 'user.not_found')) throw refused('the account of this ID token no longer exists');
        throw error;
      });
      if (other.blocked) throw refused('the other account is blocked');
      await users.link(callerId, sub);
      return users.get(callerId);
    },

    /** Restores a linked identity as a user of its own; the caller's primary identity cannot be (BAD_REQUEST). */
    async unlink(callerId: string, provider: string, externalId: string): Promise<Profile> {
      await users.unlink(callerId, provider, externalId);
      return users.get(callerId);
    },
  };
}

export type OwnIdentities = ReturnType<typeof createOwnIdentities>;
