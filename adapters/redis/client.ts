/**
 * Opens the ioredis connection given by REDIS_URL. While Redis is away, commands fail at once
 * rather than queue (callers fall back to PostgreSQL), reconnection goes on in the background,
 * and one warning is logged per outage, not one per request.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.js';

export async function openRedis(urls: readonly string[], logger: Logger): Promise<Redis> {
  const [url] = urls;
  if (!url) throw new Error('REDIS_URL has no node');
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error.message }, 'redis unavailable: serving from PostgreSQL until it returns');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('redis available again');
  });
  await redis.connect();
  return redis;
}
