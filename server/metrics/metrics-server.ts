/**
 * The listener Prometheus scrapes: `GET /metrics` on METRICS_HOST:METRICS_PORT, and nothing
 * else. It is a plain node:http server apart from the issuer's Koa app, so none of the issuer's
 * routes answer here and /metrics never answers on the issuer's port: an operator exposes the
 * issuer to the world and this port only to the scraper.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { portRefusal } from '../port-refusal.js';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

const PATH = '/metrics';

function serve(registry: Registry, logger: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
}

export async function startMetricsServer(
  registry: Registry,
  where: { port: number; host: string },
  logger: Logger,
): Promise<MetricsServer> {
  const server = serve(registry, logger);
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: unknown) => reject(portRefusal(error, 'METRICS_PORT', where.port));
    server.once('error', refuse);
    server.listen(where.port, where.host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info({ host: address, port }, 'metrics listening');
  return {
    url: `http://${host}:${port}${PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
