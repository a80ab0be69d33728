/**
 * The `route` label of a request: a name from a fixed set, never the raw path, so a scanner
 * walking random URLs cannot grow the number of series. oidc-provider's own route names
 * (`discovery`, `jwks`, `userinfo`, `introspection`, …), the token endpoint by grant type, the
 * templates of Tessera's Koa routes (`/interaction/:uid/login`), tRPC procedures by name, and
 * `other` for everything else. Every label is a string built once, here, not per request.
 */
import type { Context } from 'koa';
import { appRouter } from '../../trpc/routers/_app.js';
import { STATIC_DOCUMENT_ROUTES } from '../oidc/static-documents.js';

/** The grant types oidc-provider can be configured with; anything else at /token is `token`. */
export const GRANT_TYPES: ReadonlyMap<string, string> = new Map(
  [
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange',
    'urn:openid:params:grant-type:ciba',
  ].map((grantType) => [grantType, grantType]),
);

const TOKEN_ROUTES: ReadonlyMap<string, string> = new Map([...GRANT_TYPES.keys()].map((grantType) => [grantType, `token:${grantType}`]));

const TRPC_PREFIX = '/trpc/';
const TRPC_ROUTES: ReadonlyMap<string, string> = new Map(
  Object.keys(appRouter._def.procedures).map((procedure) => [procedure, `trpc:${procedure}`]),
);

/** Paths answered before any router, matched exactly: the probes, and the documents served from memory. */
const FIXED_PATHS: ReadonlyMap<string, string> = new Map([['/healthz', 'healthz'], ['/readyz', 'readyz'], ...STATIC_DOCUMENT_ROUTES]);

interface RoutedContext {
  /** Set by @koa/router (Tessera's routes: the template) and by oidc-provider's router (its route's path). */
  _matchedRoute?: unknown;
  /** Set by oidc-provider's router only: the route's name. */
  _matchedRouteName?: unknown;
  oidc?: { params?: { grant_type?: unknown } };
}

function trpcRoute(path: string): string {
  // A batch names several procedures: one label for all batches keeps the set fixed.
  const procedure = path.slice(TRPC_PREFIX.length);
  return TRPC_ROUTES.get(procedure) ?? (procedure.includes(',') ? 'trpc:batch' : 'trpc:other');
}

export function routeLabel(ctx: Context): string {
  const routed = ctx as unknown as RoutedContext;
  const name = routed._matchedRouteName;
  if (typeof name === 'string') {
    if (name !== 'token') return name;
    // ctx.oidc is defined on every request the provider routed; at /token it holds the parsed parameters.
    const grantType = routed.oidc?.params?.grant_type;
    return (typeof grantType === 'string' && TOKEN_ROUTES.get(grantType)) || 'token';
  }
  const template = routed._matchedRoute;
  if (typeof template === 'string') return template;
  const { path } = ctx;
  if (path.startsWith(TRPC_PREFIX)) return trpcRoute(path);
  return FIXED_PATHS.get(path) ?? 'other';
}
