/**
 * Serves the tRPC router at /trpc inside the Koa app, with a 100 kB body limit and at most
 * MAX_BATCH_CALLS calls per batch. A store outage met while building the context answers
 * SERVICE_UNAVAILABLE, as one met in a procedure does, and every such answer carries Retry-After.
 */
import { TRPCError } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { getErrorShape, getHTTPStatusCodeFromError, transformTRPCResponse } from '@trpc/server/unstable-core-do-not-import';
import type { Middleware } from 'koa';
import { retryAfterOf } from '../server/abuse/retry-later.js';
import { asStoreUnavailable, STORE_RETRY_AFTER_SECONDS } from '../server/errors.js';
import type { Logger } from '../server/logger.js';
import type { Context } from './context.js';
import { appRouter } from './routers/_app.js';
import { trpcErrorOf } from './trpc.js';

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

type CreateContext = (options: { req: import('node:http').IncomingMessage; ip?: string | undefined }) => Promise<Context>;

function outagesUnavailable(createContext: CreateContext): CreateContext {
  return async (options) => {
    try {
      return await createContext(options);
    } catch (error) {
      const outage = asStoreUnavailable(error);
      if (!outage) throw error;
      throw trpcErrorOf(outage);
    }
  };
}

export function trpcMiddleware(createContext: CreateContext, logger: Logger): Middleware {
  const createContextOrUnavailable = outagesUnavailable(createContext);
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
      // ctx.ip: the address app.ts trusts (TRUST_PROXY), the one the login form's limits count by.
      createContext: ({ req }) => createContextOrUnavailable({ req, ip: ctx.ip }),
      // A call refused for a while (TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE) says how long.
      responseMeta({ errors }) {
        const waits = errors
          .map((error) => retryAfterOf(error) ?? (error.code === 'SERVICE_UNAVAILABLE' ? STORE_RETRY_AFTER_SECONDS : undefined))
          .filter((wait) => wait !== undefined);
        return waits.length ? { headers: { 'Retry-After': String(Math.max(...waits)) } } : {};
      },
      onError({ error, path }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'management API error');
      },
    });
  };
}
