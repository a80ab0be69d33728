/**
 * Client secrets sealed at rest: the `Client` model's storage encrypts `client_secret` with
 * AES-256-GCM on write and opens it on read, so oidc-provider still sees the clear secret
 * (it needs it for client_secret_basic/post/jwt and HS256 ID tokens, so hashing is not an option).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyQueries } from '../queries/keys.js';
import type { Models } from '../sequelize/models.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import type { AdapterPayload } from './types.js';

/** Marks a sealed value; anything without it was written before sealing existed and is clear. */
export const SEALED_PREFIX = 'enc:v1:';

const KEY_NAME = 'client_secret_key';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The sealing key: 32 random bytes made once, under the key lock so nodes starting together agree. */
export function loadClientSecretKey(keys: KeyQueries): Promise<Buffer> {
  return keys.withLock(async () => {
    const stored = await keys.getSecret<string>(KEY_NAME);
    if (stored) return Buffer.from(stored, 'base64url');
    const key = randomBytes(32);
    await keys.insertSecret(KEY_NAME, key.toString('base64url'));
    return key;
  });
}

// The client_id is authenticated data, so a sealed secret copied onto another client's row does not open.
const aad = (clientId: string) => Buffer.from(`Client:${clientId}`);

export function sealSecret(key: Buffer, clientId: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(clientId));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

export function openSecret(key: Buffer, clientId: string, value: string): string {
  if (!value.startsWith(SEALED_PREFIX)) return value;
  const bytes = Buffer.from(value.slice(SEALED_PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(aad(clientId));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** A SequelizeAdapter for `Client` whose rows never hold a clear client_secret once saved. */
export class ClientSecretSealingAdapter extends SequelizeAdapter {
  constructor(
    models: Models,
    private readonly key: Buffer,
  ) {
    super('Client', models);
  }

  override async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const secret = payload['client_secret'];
    const stored = typeof secret === 'string' ? { ...payload, client_secret: sealSecret(this.key, id, secret) } : payload;
    await super.upsert(id, stored, expiresIn);
  }

  override async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = await super.find(id);
    const secret = payload?.['client_secret'];
    return payload && typeof secret === 'string' ? { ...payload, client_secret: openSecret(this.key, id, secret) } : payload;
  }
}
