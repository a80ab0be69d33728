/**
 * Chooses the storage for each oidc-provider model: PostgreSQL for all of them, with Redis in
 * front of the short-lived artifacts when Redis is configured (read first, written alongside),
 * and client secrets sealed at rest. Without Redis (one node), login interactions stay in the
 * process (memory-interactions.ts).
 */

import type { RedisClient } from '../redis/client.js';
import type { Models } from '../sequelize/models.js';
import { ClientSecretSealingAdapter } from './client-secret-sealing.js';
import { FallbackAdapter, PendingRedisWrites } from './fallback-adapter.js';
import { createMemoryInteractions } from './memory-interactions.js';
import { RedisAdapter } from './redis-adapter.js';
import { SequelizeAdapter } from './sequelize-adapter.js';
import { type AdapterFactory, SHORT_LIVED_MODELS } from './types.js';

export function createAdapterFactory(models: Models, redis: RedisClient | undefined, sealingKey: Buffer): AdapterFactory {
  const pending = redis ? new PendingRedisWrites(redis) : undefined;
  const interactions = redis ? undefined : createMemoryInteractions();
  return (modelName) => {
    if (modelName === 'Client') return new ClientSecretSealingAdapter(models, sealingKey);
    if (modelName === 'Interaction' && interactions) return interactions;
    const postgres = new SequelizeAdapter(modelName, models);
    if (!redis || !pending || !SHORT_LIVED_MODELS.has(modelName)) return postgres;
    return new FallbackAdapter(new RedisAdapter(modelName, redis), postgres, pending);
  };
}
