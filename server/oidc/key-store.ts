/**
 * Signing and cookie keys: generated on first start, persisted in PostgreSQL and loaded at
 * every start, so a restart or another node keeps every issued token and cookie valid.
 * Rotation adds a newer key per algorithm; older ones stay published so earlier tokens verify.
 */
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyQueries } from '../../adapters/queries/keys.js';

/** EdDSA keys are Ed25519 (RFC 8037). */
export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface SigningKey {
  kid: string;
  alg: string;
  createdAt: Date;
  /** The private JWK: oidc-provider signs with the first key of each algorithm. */
  jwk: JWK;
}

export interface KeyMaterial {
  /** Newest first. */
  signingKeys: SigningKey[];
  cookieKeys: string[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export function publicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

export async function generateSigningKey(alg: SigningAlg): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

const COOKIE_KEYS = 'cookie_keys';

async function insertNewKey(keys: KeyQueries, alg: SigningAlg): Promise<void> {
  const key = await generateSigningKey(alg);
  await keys.insertSigningKey({ kid: key.kid, alg, private_jwk: key.jwk as Record<string, unknown> });
}

async function read(keys: KeyQueries, cookieKeys: string[]): Promise<KeyMaterial> {
  const rows = await keys.listSigningKeys();
  return {
    signingKeys: rows.map((row) => ({ kid: row.kid, alg: row.alg, createdAt: row.created_at, jwk: row.private_jwk as JWK })),
    cookieKeys,
  };
}

export function createKeyStore(keys: KeyQueries) {
  let cookieKeys: string[] = [];
  return {
    /** Loads the keys, generating whatever is missing, under a lock so nodes starting together agree. */
    load(): Promise<KeyMaterial> {
      return keys.withLock(async () => {
        const existing = await keys.listSigningKeys();
        for (const alg of SIGNING_ALGS) {
          if (!existing.some((row) => row.alg === alg)) await insertNewKey(keys, alg);
        }
        const stored = await keys.getSecret<string[]>(COOKIE_KEYS);
        cookieKeys = stored ?? [randomBytes(32).toString('base64url')];
        if (!stored) await keys.insertSecret(COOKIE_KEYS, cookieKeys);
        return read(keys, cookieKeys);
      });
    },

    /** Adds a new key for every algorithm; it signs from then on. */
    rotate(): Promise<KeyMaterial> {
      return keys.withLock(async () => {
        for (const alg of SIGNING_ALGS) await insertNewKey(keys, alg);
        return read(keys, cookieKeys);
      });
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
