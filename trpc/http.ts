/**
 * Serves the tRPC router at /trpc inside the Koa app, with a 100 kB body limit and at most
 * MAX_BATCH_CALLS calls per batch.
 */
import { TRPCError } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { getErrorShape, getHTTPStatusCodeFromError, transformTRPCResponse } from '@trpc/server/unstable-core-do-not-import';
import type { Middleware } from 'koa';
import type { Logger } from '../server/logger.js';
import type { Context } from './context.js';
import { appRouter } from './routers/_app.js';

const PREFIX = '/trpc/';
const MAX_BODY_BYTES = 100 * 1024;
/** A batch runs its calls side by side: an unbounded one lets one request take the whole pool. */
export const MAX_BATCH_CALLS = 50;

/** tRPC's own `maxBatchSize` refuses without saying the limit; this answer says it, in tRPC's shape. */
function refuseBatch(res: import('node:http').ServerResponse, calls: number): void {
  const error = new TRPCError({ code: 'BAD_REQUEST', message: `a batch holds at most ${MAX_BATCH_CALLS} calls; this one has ${calls}` });
  const config = appRouter._def._config;
  const shape = getErrorShape({ config, error, type: 'unknown', path: undefined, input: undefined, ctx: undefined });
  res.statusCode = getHTTPStatusCodeFromError(error);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(transformTRPCResponse(config, { error: shape })));
}

export function trpcMiddleware(createContext: (options: { req: import('node:http').IncomingMessage }) => Promise<Context>, logger: Logger): Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith(PREFIX)) return next();
    ctx.respond = false;
    const path = ctx.path.slice(PREFIX.length);
    const calls = ctx.query['batch'] === '1' ? path.split(',').length : 1;
    if (calls > MAX_BATCH_CALLS) return refuseBatch(ctx.res, calls);
    // Koa starts every response at 404 and tRPC leaves a 200 status as it finds it.
    ctx.status = 200;
    await nodeHTTPRequestHandler({
      router: appRouter,
      req: ctx.req,
      res: ctx.res,
      path,
      maxBodySize: MAX_BODY_BYTES,
      maxBatchSize: MAX_BATCH_CALLS,
      createContext: ({ req }) => createContext({ req }),
      onError({ error, path }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'management API error');
      },
    });
  };
}
