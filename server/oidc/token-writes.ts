/**
 * The token endpoint's answer leaves only once the tokens it carries are committed: the new
 * tokens' writes are deferred and batched (adapters/oidc/deferred-writes.ts), and a failed one
 * turns the answer into the OAuth error a failed write inside oidc-provider would have given
 * (a store outage: 503 temporarily_unavailable; server/http-errors.ts adds Retry-After).
 */
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { runDeferringWrites } from '../../adapters/oidc/deferred-writes.js';
import type { Logger } from '../logger.js';
import { asOAuthError } from './oauth-errors.js';

export function commitTokenWrites(logger: Logger): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
    const failed = await runDeferringWrites(next);
    if (!failed) return;
    const error = asOAuthError(failed.failure);
    const refusal = error instanceof errors.OIDCProviderError && error.expose ? error : new errors.OIDCProviderError(500, 'server_error');
    if (refusal.status >= 500 && refusal.error === 'server_error')
      logger.error({ err: failed.failure, path: ctx.path }, 'token write failed');
    ctx.status = refusal.status;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: refusal.error, ...(refusal.error_description ? { error_description: refusal.error_description } : {}) };
  };
}
