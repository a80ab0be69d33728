/**
 * SQL for persisted key material: signing keys (newest first) and named secrets.
 */
import type { Json, Models, SigningKeyRow } from '../sequelize/models.js';

export function createKeyQueries(models: Models) {
  const { SigningKey, Secret, sequelize } = models;

  return {
    listSigningKeys(): Promise<SigningKeyRow[]> {
      return SigningKey.findAll({ order: [['created_at', 'DESC'], ['kid', 'ASC']] });
    },

    async insertSigningKey(key: { kid: string; alg: string; private_jwk: Json }): Promise<void> {
      await SigningKey.create(key);
    },

    async getSecret<T>(name: string): Promise<T | undefined> {
      const row = await Secret.findByPk(name);
      return row ? (row.value as T) : undefined;
    },

    async insertSecret(name: string, value: unknown): Promise<void> {
      await Secret.create({ name, value });
    },

    /** Runs fn while holding a cluster-wide lock, so nodes starting together generate keys once. */
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      return sequelize.transaction(async (transaction) => {
        await sequelize.query('SELECT pg_advisory_xact_lock(7265374)', { transaction });
        return fn();
      });
    },
  };
}

export type KeyQueries = ReturnType<typeof createKeyQueries>;
