/**
 * docs/contract.md: `offline_access` in the scope gets a refresh token. OpenID Connect Core §11 honours
 * it only with prompt=consent, and oidc-provider drops it otherwise; adding `consent` to the
 * prompt keeps the standard's intent (first-party clients are consented automatically,
 * third-party users see the consent page) while relying parties need not know the rule.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
import type { Middleware } from 'koa';

export const requireConsentForOfflineAccess: Middleware = async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth') {
    const scope = typeof ctx.query['scope'] === 'string' ? ctx.query['scope'].split(' ') : [];
    const prompt = typeof ctx.query['prompt'] === 'string' ? ctx.query['prompt'].split(' ').filter(Boolean) : [];
    if (scope.includes('offline_access') && !prompt.includes('consent') && !prompt.includes('none')) {
      ctx.query = { ...ctx.query, prompt: [...prompt, 'consent'].join(' ') };
    }
  }
  await next();
};
