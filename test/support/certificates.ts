/**
 * Self-signed X.509 certificates for test peers (SAML identity and service providers): a real
 * RSA key and certificate, made the way Tessera makes its own.
 */
import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { selfSignedCertificate as certificateFor } from '../../server/saml-idp/certificate.js';

const generateKeyPair = promisify(generateKeyPairCallback);

export interface SelfSignedCertificate {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  certificatePem: string;
}

export async function selfSignedCertificate(commonName: string, days = 365): Promise<SelfSignedCertificate> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: await certificateFor({ commonName, publicKey, privateKey, notBefore, notAfter }),
  };
}
