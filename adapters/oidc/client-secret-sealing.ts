/**
 * Client secrets sealed at rest: the `Client` model's storage encrypts `client_secret` with
 * AES-256-GCM on write and opens it on read, so oidc-provider still sees the clear secret
 * (it needs it for client_secret_basic/post/jwt and HS256 ID tokens, so hashing is not an option).
 */
import { randomBytes } from 'node:crypto';
import { SEALED_PREFIX, seal, unseal } from '../crypto/sealing.js';
import type { KeyQueries } from '../queries/keys.js';
import type { Models } from '../sequelize/models.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import type { AdapterPayload } from './types.js';

export { SEALED_PREFIX };

const KEY_NAME = 'client_secret_key';

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
const boundTo = (clientId: string) => `Client:${clientId}`;

export function sealSecret(key: Buffer, clientId: string, secret: string): string {
  return seal(key, boundTo(clientId), secret);
}

export function openSecret(key: Buffer, clientId: string, value: string): string {
  return unseal(key, boundTo(clientId), value);
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
