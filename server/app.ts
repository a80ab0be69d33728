/**
 * The Koa application: Tessera's own routes first, then oidc-provider mounted at the root.
 */
import Koa from 'koa';
import { createApiV2Router } from '../trpc/api-v2/api-v2-routes.js';
import { trpcMiddleware } from '../trpc/http.js';
import { createAccountRouter } from './accounts/account-site.js';
import { createTicketRouter, type TicketRouteDependencies } from './accounts/ticket-routes.js';
import { CONSOLE_CLIENT_ID } from './clients/console-client.js';
import { createSamlMetadataRouter } from './connections/saml/metadata.js';
import { createConsoleRouter } from './console/console-site.js';
import { createSetupRouter, type SetupRouteDependencies } from './first-administrator/setup-routes.js';
import { logLateErrors, renderErrors } from './http-errors.js';
import { PAGE_POLICY, PRESET_PAGE_POLICY } from './interactions/page.js';
import { createInteractionRouter, type InteractionDependencies } from './interactions/routes.js';
import { createUpstreamCallbackRouter } from './interactions/upstream-callback.js';
import { createExportDownloadRouter, type ExportDownloadDependencies } from './jobs/export-download-routes.js';
import { auth0TokenEndpoint } from './oidc/auth0-token-endpoint.js';
import { MANAGEMENT_SCOPES, managementAudience } from './oidc/management-api.js';
import { straightToProvider } from './oidc/provider-endpoints.js';
import { serveStaticDocuments } from './oidc/static-documents.js';
import { type ReadinessProbe, readinessEndpoint } from './readiness.js';
import { createSamlIdpRouter, type SamlIdpDependencies } from './saml-idp/routes.js';

export type AppDependencies = InteractionDependencies &
  SamlIdpDependencies &
  SetupRouteDependencies &
  TicketRouteDependencies &
  ExportDownloadDependencies & {
    issuer: string;
    /** How many reverse proxies in front may set X-Forwarded-For/-Proto (TRUST_PROXY). */
    trustProxy: number;
    createTrpcContext: Parameters<typeof trpcMiddleware>[0];
    readiness: ReadinessProbe;
    /** The request latency histogram's middleware, when metrics are on (server/metrics/). */
    requestTiming?: Koa.Middleware | undefined;
  };

/**
 * oidc-provider builds endpoint URLs from the request's origin; pinning it to the issuer's makes
 * discovery list `$ISSUER/userinfo` and friends whatever the request said. Nothing a client
 * sends picks the host: not Host, and not X-Forwarded-Host, which Koa would prefer behind a
 * trusted proxy. The protocol is the issuer's too, so an https issuer behind a TLS-terminating
 * proxy lists https URLs and sets secure cookies even with TRUST_PROXY unset.
 */
function pinIssuerOrigin(issuer: string): Koa.Middleware {
  const { host, protocol } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  return async (ctx, next) => {
    ctx.req.headers.host = host;
    delete ctx.req.headers['x-forwarded-host'];
    Object.defineProperty(ctx.request, 'protocol', { value: scheme });
    await next();
  };
}

/** Security headers on every answer; HSTS only when the issuer is https, where it means something. */
function securityHeaders(issuer: string): Koa.Middleware {
  const https = new URL(issuer).protocol === 'https:';
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', PRESET_PAGE_POLICY);
    await next();
    const preset = ctx.response.get('Content-Security-Policy') === PRESET_PAGE_POLICY;
    if (preset) ctx.remove('Content-Security-Policy');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    // RFC 6797; a browser ignores it over http, and sending it there would only mislead.
    if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (ctx.response.is('html')) {
      ctx.set('X-Frame-Options', 'DENY');
      // A page that needs more sets its own policy: the SAML auto-post form, and oidc-provider's (see PRESET_PAGE_POLICY), allow their one script by hash.
      if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', PAGE_POLICY);
    }
  };
}

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  // koa-mount runs the provider's middleware on this app's context, so cookies are signed
  // with this app's keys: they must be the provider's.
  app.keys = deps.providers.provider.keys;
  // X-Forwarded-For is read only behind proxies the operator declared, and then only the
  // entries they appended: Koa takes the client's address `trustProxy` entries from the right,
  // so whatever a client wrote to the left of them is ignored. last_ip, the rules'
  // request.ip and the abuse limits all read this one ctx.ip.
  app.proxy = deps.trustProxy > 0;
  app.maxIpsCount = deps.trustProxy;
  app.on('error', logLateErrors(deps.logger));
  const interactions = createInteractionRouter(deps);
  const upstreamCallback = createUpstreamCallbackRouter(deps);

  if (deps.requestTiming) app.use(deps.requestTiming);
  app.use(pinIssuerOrigin(deps.issuer));
  app.use(securityHeaders(deps.issuer));
  app.use(renderErrors(deps.logger));
  app.use(serveStaticDocuments(() => deps.providers.provider));
  app.use(straightToProvider(deps.providers.middleware));
  app.use(auth0TokenEndpoint(deps.providers.middleware));
  app.use(async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    await next();
  });
  app.use(readinessEndpoint(deps.readiness));
  app.use(trpcMiddleware(deps.createTrpcContext, deps.logger));
  app.use(createApiV2Router({ issuer: deps.issuer, createTrpcContext: deps.createTrpcContext, logger: deps.logger }).routes());
  app.use(createSetupRouter(deps).routes());
  app.use(createTicketRouter(deps).routes());
  app.use(createExportDownloadRouter(deps).routes());
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(upstreamCallback.routes());
  app.use(createSamlMetadataRouter(deps).routes());
  // After the connections' `/samlp/metadata`, which `/samlp/:client_id` would otherwise shadow.
  app.use(createSamlIdpRouter(deps).routes());
  app.use(
    createConsoleRouter({
      issuer: deps.issuer,
      client_id: CONSOLE_CLIENT_ID,
      audience: managementAudience(deps.issuer),
      scopes: MANAGEMENT_SCOPES,
    }).routes(),
  );
  app.use(createAccountRouter(deps.issuer).routes());
  app.use(deps.providers.middleware);
  return app;
}
