import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokenVerifier, InvalidAccessTokenError } from '../../server/oidc/access-tokens.js';
import type { KeyMaterial } from '../../server/oidc/key-store.js';

const ISSUER = 'http://127.0.0.1:1';

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' } as JWK;
  return { privateKey, material: { kid, alg: 'ES256', createdAt: new Date(), jwk } };
}

function token(privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'], kid: string) {
  return new SignJWT({ client_id: 'svc', scope: 'read:users', gty: 'client-credentials' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(`${ISSUER}/api/v2/`)
    .setSubject('svc')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('management access token verification', () => {
  it('reloads the keys once when a token names a key made by another node, then accepts it', async () => {
    const old = await signingKey('old');
    const fresh = await signingKey('fresh');
    let keys: KeyMaterial = { signingKeys: [old.material], cookieKeys: [] };
    let reloads = 0;
    const verify = createAccessTokenVerifier(
      ISSUER,
      () => keys,
      async () => true,
      async () => {
        reloads += 1;
        keys = { signingKeys: [fresh.material, old.material], cookieKeys: [] };
      },
    );
    expect(await verify(await token(fresh.privateKey, 'fresh'))).toMatchObject({ clientId: 'svc', kind: 'client' });
    expect(reloads).toBe(1);
  });

  it('does not reload again for made-up key ids within the rate limit', async () => {
    const known = await signingKey('known');
    const stranger = await signingKey('made-up');
    let reloads = 0;
    const verify = createAccessTokenVerifier(
      ISSUER,
      () => ({ signingKeys: [known.material], cookieKeys: [] }),
      async () => true,
      async () => {
        reloads += 1;
      },
    );
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expect(verify(await token(stranger.privateKey, 'made-up'))).rejects.toBeInstanceOf(InvalidAccessTokenError);
    }
    expect(reloads).toBe(1);
  });
});
