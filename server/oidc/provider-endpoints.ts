/**
 * The provider's token, introspection, revocation and userinfo endpoints go straight to
 * oidc-provider: no route of Tessera's own answers their paths, and the routers in between (the
 * management API, the interactions, SAML) would each match every one of these requests against
 * their paths for nothing. They are the busiest endpoints a provider has.
 */
import type { Middleware } from 'koa';

const PROVIDER_ENDPOINTS: ReadonlySet<string> = new Set(['/token', '/token/introspection', '/token/revocation', '/userinfo']);

export function straightToProvider(provider: Middleware): Middleware {
  return (ctx, next) => (PROVIDER_ENDPOINTS.has(ctx.path) ? provider(ctx, next) : next());
}
