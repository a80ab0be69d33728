/**
 * Chooses the storage for each oidc-provider model: Redis for short-lived artifacts when
 * Redis is configured, PostgreSQL for everything else.
 */
import type { Redis } from 'ioredis';
import type { Models } from '../sequelize/models.js';
import { RedisAdapter } from './redis-adapter.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import { SHORT_LIVED_MODELS, type AdapterFactory } from './types.js';

export function createAdapterFactory(models: Models, redis: Redis | undefined): AdapterFactory {
  return (modelName) =>
    redis && SHORT_LIVED_MODELS.has(modelName) ? new RedisAdapter(modelName, redis) : new SequelizeAdapter(modelName, models);
}
