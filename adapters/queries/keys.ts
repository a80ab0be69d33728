/**
 * SQL for persisted key material: signing keys (newest first) and named secrets (cookie keys,
 * the SAML signing key). Both are sealed with SEALING_KEY on the way in and opened on the way
 * out, so callers see clear values and the tables never hold one.
 */
import { sealJson, unsealJson } from '../crypto/sealing.js';
import { holdAdvisoryLock } from '../sequelize/advisory-locks.js';
import type { Json, Models, SigningKeyRow } from '../sequelize/models.js';

export const signingKeyBinding = (kid: string) => `SigningKey:${kid}`;
export const secretBinding = (name: string) => `Secret:${name}`;

export function createKeyQueries(models: Models, key: Buffer) {
  const { SigningKey, Secret, sequelize } = models;

  return {
    /** Rows whose private_jwk is opened; only the row's copy changes, nothing saves them back. */
    async listSigningKeys(): Promise<SigningKeyRow[]> {
      const rows = await SigningKey.findAll({
        order: [
          ['created_at', 'DESC'],
          ['kid', 'ASC'],
        ],
      });
      for (const row of rows) row.setDataValue('private_jwk', unsealJson(key, signingKeyBinding(row.kid), row.private_jwk) as Json);
      return rows;
    },

    async insertSigningKey(signingKey: { kid: string; alg: string; private_jwk: Json }): Promise<void> {
      await SigningKey.create({ ...signingKey, private_jwk: sealJson(key, signingKeyBinding(signingKey.kid), signingKey.private_jwk) });
    },

    async getSecret<T>(name: string): Promise<T | undefined> {
      const row = await Secret.findByPk(name);
      return row ? (unsealJson(key, secretBinding(name), row.value) as T) : undefined;
    },

    async insertSecret(name: string, value: unknown): Promise<void> {
      await Secret.create({ name, value: sealJson(key, secretBinding(name), value) });
    },

    /** Runs fn while holding a cluster-wide lock, so nodes starting together generate keys once. */
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      return sequelize.transaction(async (transaction) => {
        await holdAdvisoryLock(sequelize, 'keyMaterial', transaction);
        return fn();
      });
    },
  };
}

export type KeyQueries = ReturnType<typeof createKeyQueries>;
