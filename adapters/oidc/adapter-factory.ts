/**
 * Chooses the storage for each oidc-provider model: Redis for short-lived artifacts when
 * Redis is configured, PostgreSQL for everything else, with client secrets sealed at rest.
 */
import type { Redis } from 'ioredis';
import type { Models } from '../sequelize/models.js';
import { ClientSecretSealingAdapter } from './client-secret-sealing.js';
import { RedisAdapter } from './redis-adapter.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import { SHORT_LIVED_MODELS, type AdapterFactory } from './types.js';

export function createAdapterFactory(models: Models, redis: Redis | undefined, clientSecretKey: Buffer): AdapterFactory {
  return (modelName) => {
    if (modelName === 'Client') return new ClientSecretSealingAdapter(models, clientSecretKey);
    return redis && SHORT_LIVED_MODELS.has(modelName) ? new RedisAdapter(modelName, redis) : new SequelizeAdapter(modelName, models);
  };
}
