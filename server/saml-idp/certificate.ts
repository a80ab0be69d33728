/**
 * A self-signed X.509 certificate for an RSA key: SAML metadata publishes the identity
 * provider's signing key as a certificate. Made with @peculiar/x509 over Node's WebCrypto, so
 * no openssl binary is needed; loaded on first use, since only deployments with SAML clients
 * need it (it and its dependencies hold a few megabytes).
 */
import { type KeyObject, randomBytes, webcrypto } from 'node:crypto';

let loaded: Promise<typeof import('@peculiar/x509')> | undefined;

function loadX509() {
  loaded ??= (async () => {
    // @peculiar/x509 resolves its services through tsyringe, which needs this polyfill loaded first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loaded;
}
// Node's CryptoKey and the DOM's differ only in key usages Node added since.
const asCryptoKey = (key: webcrypto.CryptoKey) => key as unknown as CryptoKey;

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/** X.520's upper bound for a common name. */
const MAX_COMMON_NAME = 64;

export interface CertificateRequest {
  commonName: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** The certificate as PEM, signed with SHA-256 by its own private key, with a random serial. */
export async function selfSignedCertificate({
  commonName,
  publicKey,
  privateKey,
  notBefore,
  notAfter,
}: CertificateRequest): Promise<string> {
  // A positive serial (first byte below 0x80) of 16 random bytes, as RFC 5280 §4.1.2.2 allows.
  const serial = randomBytes(16);
  serial.writeUInt8((serial.readUInt8(0) & 0x3f) | 0x40, 0);
  const x509 = await loadX509();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [commonName.slice(0, MAX_COMMON_NAME)] }],
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: {
      publicKey: asCryptoKey(publicKey.toCryptoKey(ALGORITHM, true, ['verify'])),
      privateKey: asCryptoKey(privateKey.toCryptoKey(ALGORITHM, false, ['sign'])),
    },
  });
  return certificate.toString('pem');
}
