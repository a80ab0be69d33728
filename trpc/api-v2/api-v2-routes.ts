/**
 * Serves the Auth0-compatible Management API v2 under /api/v2: each operation's request is parsed
 * by its schemas, handed to its tRPC procedure with the same context (bearer token, request limit)
 * the tRPC endpoint builds, and answered in Auth0's shapes, with Auth0's rate-limit headers.
 */
import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import { type AnyProcedure, callTRPCProcedure, TRPCError } from '@trpc/server';
import parseBody from 'co-body';
import type { Context as KoaContext } from 'koa';
import type { z } from 'zod';
import type { RequestLimitState } from '../../server/abuse/request-limit.js';
import { RequestLimitReached } from '../../server/abuse/request-limit.js';
import { MAX_IMPORT_FILE_BYTES } from '../../server/jobs/users-import-input.js';
import type { Logger } from '../../server/logger.js';
import { scopesNotHeld } from '../../server/oidc/management-api.js';
import type { Context } from '../context.js';
import { appRouter } from '../routers/_app.js';
import type { ProcedureMeta } from '../trpc.js';
import { type Auth0Refusal, auth0ErrorOf, invalidPart, notFoundRoute, type RequestPart } from './auth0-errors.js';
import { serveApiDescription } from './explorer.js';
import { MultipartRefused, readMultipartBody } from './multipart-body.js';
import { openApiDocument } from './openapi.js';
import type { Operation, OperationRequest } from './operation.js';
import { API_V2_OPERATIONS } from './operations/index.js';

export const API_V2_PREFIX = '/api/v2';
const MAX_JSON_BODY = '100kb';
/** A users import's file, and room for the few small fields beside it. */
const MULTIPART_LIMITS = { fileBytes: MAX_IMPORT_FILE_BYTES, fieldBytes: 1024, parts: 8 };

type CreateContext = (options: { req: import('node:http').IncomingMessage; ip?: string | undefined }) => Promise<Context>;

export interface ApiV2Dependencies {
  /** The OpenAPI document's server and token audience. */
  issuer: string;
  createTrpcContext: CreateContext;
  logger: Logger;
}

/** `/users/{id}` as @koa/router writes it. */
const routePath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

function answerRefusal(ctx: KoaContext, refusal: Auth0Refusal): void {
  ctx.status = refusal.body.statusCode;
  if (refusal.retryAfter !== undefined) ctx.set('Retry-After', String(refusal.retryAfter));
  ctx.body = refusal.body;
}

function sendLimit(ctx: KoaContext, state: RequestLimitState): void {
  ctx.set('x-ratelimit-limit', String(state.limit));
  ctx.set('x-ratelimit-remaining', String(state.remaining));
  ctx.set('x-ratelimit-reset', String(state.resetAt));
}

class InvalidPart extends Error {
  constructor(readonly refusal: Auth0Refusal) {
    super(refusal.body.message);
  }
}

function parsePart<S extends z.ZodType | undefined>(part: RequestPart, schema: S, value: unknown): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidPart(invalidPart(part, parsed.error));
  return parsed.data;
}

async function readJsonBody(ctx: KoaContext): Promise<unknown> {
  try {
    return await parseBody.json(ctx.req, { limit: MAX_JSON_BODY, strict: true });
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 413)
      throw new InvalidPart({
        body: { statusCode: 413, error: 'Payload Too Large', message: `The body is larger than ${MAX_JSON_BODY}.` },
      });
    throw new InvalidPart(invalidPart('body', 'the body is not valid JSON'));
  }
}

async function readMultipart(ctx: KoaContext): Promise<Record<string, string>> {
  try {
    return await readMultipartBody(ctx.req, MULTIPART_LIMITS);
  } catch (error) {
    if (!(error instanceof MultipartRefused)) throw error;
    // What is left of the body is not read: the connection ends with this answer.
    ctx.set('Connection', 'close');
    if (error.status === 413)
      throw new InvalidPart({ body: { statusCode: 413, error: 'Payload Too Large', message: `${error.message}.` } });
    throw new InvalidPart(invalidPart('body', error.message));
  }
}

async function readRequest(ctx: RouterContext, op: Operation): Promise<OperationRequest<unknown, unknown, unknown>> {
  const params = parsePart('uri', op.params, ctx.params);
  const query = parsePart('query', op.query, { ...ctx.query });
  if (!op.body) return { params, query, body: undefined };
  const raw = op.bodyType === 'multipart' ? await readMultipart(ctx) : await readJsonBody(ctx);
  return { params, query, body: parsePart('body', op.body, raw) };
}

/**
 * A caller without a valid token, or without the procedure's scope, is refused before any of the
 * request is read, as Auth0 does: a bad body from such a caller answers 401 or 403, not 400, and a
 * multipart body (up to 64 MB) is never read for it. The procedure checks again, as for any call.
 */
function refuseBeforeBody(context: Context, procedure: AnyProcedure): void {
  if (!context.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: context.authProblem ?? 'missing bearer token' });
  const scopes = (procedure._def.meta as ProcedureMeta | undefined)?.scopes ?? [];
  const [missing] = scopesNotHeld(scopes, context.caller.scopes);
  if (missing) throw new TRPCError({ code: 'FORBIDDEN', message: `insufficient scope: this call needs ${missing}` });
}

// Flat at run time, by dotted path ('users.list'), whatever the nested type says.
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure | undefined>;

function handle(op: Operation, deps: ApiV2Dependencies): RouterMiddleware {
  const procedure = procedures[op.procedure];
  if (!procedure) throw new Error(`API v2 operation ${op.operationId} names no procedure ${op.procedure}`);
  const type = procedure._def.type;
  // Where the procedure's own input comes from, so its validation errors name that part.
  const inputPart: RequestPart = op.body ? 'body' : op.query ? 'query' : 'uri';
  return async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      const context = await deps.createTrpcContext({ req: ctx.req, ip: ctx.ip });
      context.reportLimit = (state) => sendLimit(ctx, state);
      refuseBeforeBody(context, procedure);
      const request = await readRequest(ctx, op);
      const input = op.input(request);
      const result = await callTRPCProcedure({
        router: appRouter,
        path: op.procedure,
        getRawInput: async () => input,
        ctx: context,
        type,
        signal: undefined,
        batchIndex: 0,
      });
      ctx.status = op.status;
      if (op.status !== 204) ctx.body = op.output(result, request) ?? null;
    } catch (error) {
      if (error instanceof InvalidPart) return answerRefusal(ctx, error.refusal);
      const refusal = auth0ErrorOf(error, inputPart);
      const limited = (error as { cause?: unknown }).cause;
      if (limited instanceof RequestLimitReached) sendLimit(ctx, limited.state);
      if (refusal.body.statusCode >= 500 && refusal.body.statusCode !== 503) {
        deps.logger.error({ err: error, operation: op.operationId }, 'management API v2 error');
      }
      answerRefusal(ctx, refusal);
    }
  };
}

/** The /api/v2 routes, their OpenAPI document and explorer; any other path below /api/v2 answers Auth0's 404. */
export function createApiV2Router(deps: ApiV2Dependencies, operations: readonly Operation[] = API_V2_OPERATIONS): Router {
  const router = new Router({ prefix: API_V2_PREFIX });
  for (const op of operations) router[op.method](routePath(op.path), handle(op, deps));
  serveApiDescription(router, {
    prefix: API_V2_PREFIX,
    document: () => openApiDocument({ issuer: deps.issuer, prefix: API_V2_PREFIX, operations, procedures }),
  });
  router.all('/{*rest}', (ctx) => answerRefusal(ctx, notFoundRoute()));
  return router;
}
