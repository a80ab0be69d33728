/**
 * Discovery and the JWKS change only when the provider does: with its configuration, or with
 * its keys (a rotation on any node builds a new provider instance, server/oidc/provider-host.ts,
 * which the 'keys.rotated' signal brings to every node). Each is rendered once per provider
 * instance by oidc-provider itself, on the first request after it changes, and then served from
 * memory with an ETag, without oidc-provider's or Tessera's per-request middleware.
 */
import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';

/**
 * Each document's path, and the name oidc-provider's router gives its route: served from memory,
 * a document never reaches that router, so the metrics label it by this name (server/metrics/route-label.ts).
 */
export const STATIC_DOCUMENT_ROUTES: ReadonlyMap<string, string> = new Map([
  ['/.well-known/openid-configuration', 'discovery'],
  ['/.well-known/oauth-authorization-server', 'discovery'],
  ['/jwks', 'jwks'],
]);

interface Rendered {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** `current` is read at every request, so a rotation takes effect with the next one. */
export function serveStaticDocuments(current: () => Provider): Middleware {
  let renderedFor: Provider | undefined;
  let rendered = new Map<string, Rendered>();

  return async (ctx, next) => {
    if (!STATIC_DOCUMENT_ROUTES.has(ctx.path) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const provider = current();
    if (provider !== renderedFor) {
      renderedFor = provider;
      rendered = new Map();
    }
    const document = rendered.get(ctx.path);
    if (!document) {
      await next();
      const body: unknown = ctx.body;
      // Only a 200 whose provider is still current; anything else is rendered again next time.
      if (ctx.status !== 200 || provider !== current() || body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return;
      const bytes = Buffer.from(JSON.stringify(body));
      const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
      rendered.set(ctx.path, { body: bytes, type: ctx.response.get('Content-Type'), etag });
      ctx.set('ETag', etag);
      return;
    }
    // oidc-provider's CORS for these documents: any origin may read them.
    ctx.vary('Origin');
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
    ctx.set('ETag', document.etag);
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = document.type;
    ctx.body = document.body;
  };
}
