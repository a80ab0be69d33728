/**
 * Values sealed at rest with AES-256-GCM under SEALING_KEY. The authenticated data names what
 * the value belongs to (a client, an identity, a signing key), so a sealed value copied onto
 * another row does not open, and a value that was not sealed with the key is refused rather
 * than trusted: nobody with write access to the database alone can plant a secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Marks a sealed value. */
export const SEALED_PREFIX = 'enc:v1:';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class UnsealError extends Error {
  override name = 'UnsealError';
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

export function seal(key: Buffer, boundTo: string, value: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The clear value; UnsealError when it was not sealed, or not with this key for this purpose. */
export function unseal(key: Buffer, boundTo: string, value: unknown): string {
  if (!isSealed(value)) throw new UnsealError(`${boundTo} is not sealed`);
  const bytes = Buffer.from(value.slice(SEALED_PREFIX.length), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new UnsealError(`${boundTo} does not open with this key`);
  }
}

/** Any JSON value, sealed as one string (which a jsonb column holds as well as a text one). */
export function sealJson(key: Buffer, boundTo: string, value: unknown): string {
  return seal(key, boundTo, JSON.stringify(value));
}

export function unsealJson(key: Buffer, boundTo: string, value: unknown): unknown {
  return JSON.parse(unseal(key, boundTo, value));
}

/** Reads sealed values back: with the current key, or, while migrating, with an earlier one. */
export interface Opener {
  text(boundTo: string, value: unknown): string;
  json(boundTo: string, value: unknown): unknown;
}

export function openerFor(key: Buffer): Opener {
  return {
    text: (boundTo, value) => unseal(key, boundTo, value),
    json: (boundTo, value) => unsealJson(key, boundTo, value),
  };
}
