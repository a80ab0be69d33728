/**
 * Signing and cookie keys: generated on first start, persisted in PostgreSQL and loaded at
 * every start, so a restart or another node keeps every issued token and cookie valid.
 */
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyQueries } from '../../adapters/queries/keys.js';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface KeyMaterial {
  /** Private JWKs, newest first: oidc-provider signs with the first key of each algorithm. */
  jwks: { keys: JWK[] };
  cookieKeys: string[];
}

export async function generateSigningKey(alg: SigningAlg): Promise<{ kid: string; alg: SigningAlg; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

const COOKIE_KEYS = 'cookie_keys';

export async function loadKeyMaterial(keys: KeyQueries): Promise<KeyMaterial> {
  return keys.withLock(async () => {
    const existing = await keys.listSigningKeys();
    for (const alg of SIGNING_ALGS) {
      if (existing.some((row) => row.alg === alg)) continue;
      const key = await generateSigningKey(alg);
      await keys.insertSigningKey({ kid: key.kid, alg, private_jwk: key.jwk as Record<string, unknown> });
    }
    let cookieKeys = await keys.getSecret<string[]>(COOKIE_KEYS);
    if (!cookieKeys) {
      cookieKeys = [randomBytes(32).toString('base64url')];
      await keys.insertSecret(COOKIE_KEYS, cookieKeys);
    }
    const rows = await keys.listSigningKeys();
    return { jwks: { keys: rows.map((row) => row.private_jwk as JWK) }, cookieKeys };
  });
}
