/**
 * Opens the ioredis connection given by REDIS_URL: one Redis, or a Cluster when it lists several
 * nodes. While Redis is away, commands fail at once rather than queue (callers fall back to
 * PostgreSQL), a Redis that stops answering counts as away, reconnection goes on in the
 * background, and one warning is logged per outage, not one per request.
 *
 * Commands issued in the same turn of the event loop go out together (auto-pipelining): under
 * load, one write and one read carry the token and profile lookups of many requests, which
 * cuts the server's CPU per Redis-backed userinfo call by about a tenth. Commands that must
 * follow one another are awaited one after another, so batching never reorders them.
 */
import { once } from 'node:events';
import { Cluster, type ClusterNode, Redis } from 'ioredis';
import type { Logger } from 'pino';

export type RedisClient = Redis | Cluster;

const retryDelay = (attempt: number) => Math.min(attempt * 100, 2_000);

/**
 * A Redis that holds the connection open but stops answering (stopped, swapping, cut off
 * without a reset) would hold every request waiting on it. A command unanswered this long
 * fails (commandTimeout: ioredis would otherwise keep one in flight to resend on a reconnection
 * that never becomes ready), and with commands pending and nothing read this long the
 * connection is dropped (socketTimeout), so until a reconnection is answered the next commands
 * fail at once: callers fall back to PostgreSQL. A Redis answers in well under a millisecond;
 * only a blocked one stays silent this long.
 */
const SILENCE_LIMIT_MS = 2_000;

// ioredis connects to a node at its first command and, with the offline queue off, rejects
// whatever else reaches that node while it connects; connecting to every node once the
// Cluster is ready keeps a burst of first requests from falling back to PostgreSQL.
function connectMasters(cluster: Cluster) {
  return Promise.all(
    cluster.nodes('master').map((node) => {
      if (node.status === 'ready') return undefined;
      return node.status === 'wait' ? node.connect() : once(node, 'ready');
    }),
  );
}

function openCluster(urls: readonly string[]): Cluster {
  const parsed = urls.map((url) => new URL(url));
  const nodes: ClusterNode[] = parsed.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) }));
  // A cluster's nodes share their users and TLS setting, so the first URL that names them speaks for all.
  const credentials = parsed.find((url) => url.username || url.password);
  const cluster = new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Batched per node, each batch to the node serving its keys' slots.
    enableAutoPipelining: true,
    clusterRetryStrategy: retryDelay,
    // Fail at once, as one Redis does, rather than hold the request through a failover or a
    // CLUSTERDOWN: PostgreSQL answers meanwhile. MOVED redirections are still followed.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    redisOptions: {
      maxRetriesPerRequest: 1,
      socketTimeout: SILENCE_LIMIT_MS,
      commandTimeout: SILENCE_LIMIT_MS,
      ...(credentials?.username ? { username: decodeURIComponent(credentials.username) } : {}),
      ...(credentials?.password ? { password: decodeURIComponent(credentials.password) } : {}),
      ...(parsed.some((url) => url.protocol === 'rediss:') ? { tls: {} } : {}),
    },
  });
  cluster.on('ready', () => void connectMasters(cluster).catch(() => undefined));
  return cluster;
}

export async function openRedis(urls: readonly string[], logger: Logger): Promise<RedisClient> {
  const [url] = urls;
  if (!url) throw new Error('REDIS_URL has no node');
  const redis: RedisClient =
    urls.length > 1
      ? openCluster(urls)
      : new Redis(url, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          socketTimeout: SILENCE_LIMIT_MS,
          commandTimeout: SILENCE_LIMIT_MS,
          retryStrategy: retryDelay,
          enableAutoPipelining: true,
        });
  let down = false;
  const warn = (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error.message }, 'redis unavailable: serving from PostgreSQL until it returns');
  };
  redis.on('error', warn);
  // A Cluster reports a lost node here, and stays up for the other nodes' slots.
  redis.on('node error', warn);
  onAvailable(redis, () => {
    if (!down) return;
    down = false;
    logger.info('redis available again');
  });
  try {
    await redis.connect();
    if (redis instanceof Cluster) await connectMasters(redis);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

/**
 * Calls `listener` whenever Redis becomes ready again. A Cluster emits 'ready' only when it
 * reconnects as a whole; a node that comes back alone is a new connection of its own.
 */
export function onAvailable(redis: RedisClient, listener: () => void): void {
  redis.on('ready', listener);
  if (redis instanceof Cluster) redis.on('+node', (node: Redis) => node.on('ready', listener));
}

/**
 * A connection of its own for a blocking read or a subscription: unlike the shared one, it
 * waits for Redis to return instead of failing, and sends each command as it comes (one at a
 * time, there is nothing to batch). (Redis and Cluster take their overrides in different arguments.)
 */
export function duplicateForBlocking(redis: RedisClient): RedisClient {
  return redis instanceof Cluster
    ? redis.duplicate([], { enableOfflineQueue: true, enableAutoPipelining: false, redisOptions: { maxRetriesPerRequest: null } })
    : redis.duplicate({ enableOfflineQueue: true, enableAutoPipelining: false, maxRetriesPerRequest: null });
}
