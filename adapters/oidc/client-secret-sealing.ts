/**
 * Client secrets sealed at rest: the `Client` model's storage encrypts `client_secret` with
 * AES-256-GCM under SEALING_KEY on write and opens it on read, so oidc-provider still sees the
 * clear secret (it needs it for client_secret_basic/post/jwt and HS256 ID tokens, so hashing is
 * not an option).
 */
import { SEALED_PREFIX, seal, unseal } from '../crypto/sealing.js';
import type { Models } from '../sequelize/models.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import type { AdapterPayload } from './types.js';

export { SEALED_PREFIX };

// The client_id is authenticated data, so a sealed secret copied onto another client's row does not open.
export const clientSecretBinding = (clientId: string) => `Client:${clientId}`;

export function sealSecret(key: Buffer, clientId: string, secret: string): string {
  return seal(key, clientSecretBinding(clientId), secret);
}

export function openSecret(key: Buffer, clientId: string, value: string): string {
  return unseal(key, clientSecretBinding(clientId), value);
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
