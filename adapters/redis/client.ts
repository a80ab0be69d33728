/**
 * Opens the ioredis connection given by REDIS_URL.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.js';

export async function openRedis(urls: readonly string[], logger: Logger): Promise<Redis> {
  const [url] = urls;
  if (!url) throw new Error('REDIS_URL has no node');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  let warned = false;
  redis.on('error', (error: Error) => {
    if (warned) return;
    warned = true;
    logger.warn({ err: error.message }, 'redis unavailable');
  });
  redis.on('ready', () => {
    warned = false;
  });
  await redis.connect();
  return redis;
}
