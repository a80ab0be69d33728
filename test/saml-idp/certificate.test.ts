import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../server/saml-idp/certificate.js';

describe('the self-signed certificate of the SAML signing key', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const make = async (commonName: string, notBefore: Date, notAfter: Date) =>
    new X509Certificate(await selfSignedCertificate({ commonName, publicKey, privateKey, notBefore, notAfter }));

  it('verifies with its own key, whatever its random serial', async () => {
    for (let round = 0; round < 20; round += 1) {
      const certificate = await make('tessera.example', new Date(), new Date(Date.now() + 86_400_000));
      expect(certificate.verify(publicKey)).toBe(true);
    }
  });

  it('names its subject and issuer, holds the public key and the validity it was given, past 2049 too', async () => {
    const notBefore = new Date('2026-01-02T03:04:05Z');
    const notAfter = new Date('2056-01-02T03:04:05Z');
    const certificate = await make('tessera.example:3000', notBefore, notAfter);
    expect(certificate.subject).toBe('CN=tessera.example:3000');
    expect(certificate.issuer).toBe('CN=tessera.example:3000');
    expect(certificate.publicKey.equals(publicKey)).toBe(true);
    expect(new Date(certificate.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(certificate.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(certificate.ca).toBe(false);
  });

  it('shortens a common name to the 64 characters X.520 allows', async () => {
    const certificate = await make('x'.repeat(100), new Date(), new Date(Date.now() + 86_400_000));
    expect(certificate.subject).toBe(`CN=${'x'.repeat(64)}`);
  });
});
