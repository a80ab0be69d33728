/**
 * The Koa application: Tessera's own routes first, then oidc-provider mounted at the root.
 */
import Koa from 'koa';
import { trpcMiddleware } from '../trpc/http.js';
import { createSamlMetadataRouter } from './connections/saml/metadata.js';
import { errorPages } from './http-errors.js';
import { createInteractionRouter, type InteractionDependencies } from './interactions/routes.js';
import { createUpstreamCallbackRouter } from './interactions/upstream-callback.js';
import { readinessEndpoint, type ReadinessProbe } from './readiness.js';
import { createSamlIdpRouter, type SamlIdpDependencies } from './saml-idp/routes.js';

export type AppDependencies = InteractionDependencies & SamlIdpDependencies & {
  issuer: string;
  createTrpcContext: Parameters<typeof trpcMiddleware>[0];
  readiness: ReadinessProbe;
};

/**
 * oidc-provider builds endpoint URLs from the request's origin; pinning the Host to the
 * issuer's makes discovery list `$ISSUER/userinfo` and friends whatever name the request used.
 */
function pinIssuerHost(issuer: string): Koa.Middleware {
  const host = new URL(issuer).host;
  return async (ctx, next) => {
    ctx.req.headers.host = host;
    await next();
  };
}

const securityHeaders: Koa.Middleware = async (ctx, next) => {
  await next();
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  if (ctx.response.is('html')) {
    ctx.set('X-Frame-Options', 'DENY');
    // A page that needs more sets its own policy: the SAML auto-post form allows its one script by hash.
    if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  }
};

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  // koa-mount runs the provider's middleware on this app's context, so cookies are signed
  // with this app's keys: they must be the provider's.
  app.keys = deps.providers.keys.cookieKeys;
  // An https issuer sits behind a TLS-terminating proxy, whose X-Forwarded-* headers are trusted.
  app.proxy = new URL(deps.issuer).protocol === 'https:';
  const interactions = createInteractionRouter(deps);
  const upstreamCallback = createUpstreamCallbackRouter(deps);

  app.use(pinIssuerHost(deps.issuer));
  app.use(securityHeaders);
  app.use(errorPages(deps.logger));
  app.use(async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    await next();
  });
  app.use(readinessEndpoint(deps.readiness));
  app.use(trpcMiddleware(deps.createTrpcContext, deps.logger));
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(upstreamCallback.routes());
  app.use(createSamlMetadataRouter(deps).routes());
  // After the connections' `/samlp/metadata`, which `/samlp/:client_id` would otherwise shadow.
  app.use(createSamlIdpRouter(deps).routes());
  app.use(deps.providers.middleware);
  return app;
}
