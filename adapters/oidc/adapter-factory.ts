/**
 * Chooses the storage for each oidc-provider model: Redis for short-lived artifacts when
 * Redis is configured (PostgreSQL standing in while Redis is away), PostgreSQL for everything else, with client secrets sealed at rest.
 */
import type { Models } from '../sequelize/models.js';
import type { RedisClient } from '../redis/client.js';
import { ClientSecretSealingAdapter } from './client-secret-sealing.js';
import { FallbackAdapter, PendingRedisWrites } from './fallback-adapter.js';
import { RedisAdapter } from './redis-adapter.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import { SHORT_LIVED_MODELS, type AdapterFactory } from './types.js';

export function createAdapterFactory(models: Models, redis: RedisClient | undefined, clientSecretKey: Buffer): AdapterFactory {
  const pending = redis ? new PendingRedisWrites(redis) : undefined;
  return (modelName) => {
    if (modelName === 'Client') return new ClientSecretSealingAdapter(models, clientSecretKey);
    const postgres = new SequelizeAdapter(modelName, models);
    if (!redis || !pending || !SHORT_LIVED_MODELS.has(modelName)) return postgres;
    return new FallbackAdapter(new RedisAdapter(modelName, redis), postgres, pending);
  };
}
