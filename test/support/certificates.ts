/**
 * Self-signed X.509 certificates for test peers (SAML identity and service providers), made by
 * the openssl CLI: a real RSA key and certificate, as an operator would generate them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSignedCertificate {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  certificatePem: string;
}

export async function selfSignedCertificate(commonName: string, days = 365): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    // A slash would start another RDN in -subj; CNs here are plain names.
    const subject = `/CN=${commonName.replace(/[/\\]/g, '_')}`;
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', String(days), '-subj', subject]);
    const [privateKeyPem, certificatePem] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    return { privateKeyPem, certificatePem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
