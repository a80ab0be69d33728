/**
 * A self-signed X.509 v3 certificate for an RSA key, DER-encoded by hand with node:crypto: SAML
 * metadata publishes the identity provider's signing key as a certificate, and Tessera must
 * not depend on an openssl binary being installed to make one.
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
/** X.520's upper bound for a common name. */
const MAX_COMMON_NAME = 64;

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (tagNumber: number, content: Buffer) => tlv(0xa0 + tagNumber, content);
const NULL = Buffer.from([0x05, 0x00]);

/** A small non-negative INTEGER, given in its minimal big-endian bytes below 0x80. */
const integer = (value: Buffer) => tlv(0x02, value);

function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) base128.unshift(0x80 | (value & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const bitString = (content: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));

function name(commonName: string): Buffer {
  const cn = commonName.slice(0, MAX_COMMON_NAME);
  return sequence(set(sequence(objectIdentifier(COMMON_NAME), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

export interface CertificateRequest {
  commonName: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** The certificate as PEM, signed with SHA-256 by its own (RSA) private key. */
export function selfSignedCertificate({ commonName, publicKey, privateKey, notBefore, notAfter }: CertificateRequest): string {
  const algorithm = sequence(objectIdentifier(SHA256_WITH_RSA), NULL);
  // A positive serial of at most 20 octets (RFC 5280 §4.1.2.2), random so no two certificates share
  // one; its first byte is kept in 0x40–0x7f, so it needs neither a sign byte nor DER's ban on leading zeros.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const subject = name(commonName);
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
