/**
 * The key Tessera signs SAML responses with, and its certificate: made once, on the first SAML
 * request any node serves, and kept in the database so every node, and every restart, signs
 * with the certificate the service providers imported from the metadata.
 */
import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyQueries } from '../../adapters/queries/keys.js';
import { selfSignedCertificate } from './certificate.js';

const generateKeyPair = promisify(generateKeyPairCallback);

const SECRET_NAME = 'saml_idp_signing_key';
/**
 * Service providers pin the certificate they imported, so it outlives any sensible deployment
 * rather than breaking every SAML login on a date nobody remembers; XML signature checks do
 * not use its dates anyway.
 */
const VALIDITY_YEARS = 20;

export interface SamlSigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

async function generate(commonName: string): Promise<SamlSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: await selfSignedCertificate({ commonName, publicKey, privateKey, notBefore, notAfter }),
  };
}

/**
 * A loader that reads (or makes) the key once per node; a failed read is retried by the next
 * request instead of being remembered. `commonName` names the certificate's subject.
 */
export function createSigningKeySource(keys: KeyQueries, commonName: string): () => Promise<SamlSigningKey> {
  let loading: Promise<SamlSigningKey> | undefined;
  const load = () =>
    keys.withLock(async () => {
      const stored = await keys.getSecret<SamlSigningKey>(SECRET_NAME);
      if (stored) return stored;
      const created = await generate(commonName);
      await keys.insertSecret(SECRET_NAME, created);
      return created;
    });
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
