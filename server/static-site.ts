/**
 * A single-page application Vite built, served under a prefix (`/admin`, `/account`): the
 * bundle, and the settings the bundle reads at start (`<prefix>/settings.json`), so the same
 * build runs under any issuer. Assets have content-hashed names and are cached for a year;
 * index.html is revalidated each time, so a new build is picked up at once. Every other path
 * under the prefix is a page of the application and answers with index.html. Without a build
 * the pages answer 503 saying so.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import send from 'koa-send';

/** Scripts, styles and API calls from this origin only; pictures from anywhere over https. */
export const SITE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 60 * 60;

export interface StaticSite {
  /** `/admin`: the site answers this path and every one under it. */
  prefix: string;
  /** Where the build is: index.html and assets/. */
  bundleDir: string;
  /** What `<prefix>/settings.json` answers. */
  settings: object;
  /** The 503's sentence while the bundle is not built: what to run. */
  notBuilt: string;
}

export function createStaticSiteRouter({ prefix, bundleDir, settings, notBuilt }: StaticSite) {
  const router = new Router({ prefix });
  const built = existsSync(path.join(bundleDir, 'index.html'));

  router.get('/settings.json', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = settings;
  });

  router.get('/assets/:file', async (ctx) => {
    const file = String(ctx.params['file']);
    if (!built || file.includes('/') || file.startsWith('.')) return;
    await send(ctx, `assets/${file}`, {
      root: bundleDir,
      immutable: true,
      maxage: YEAR_SECONDS * 1000,
      setHeaders: (response) => response.setHeader('X-Content-Type-Options', 'nosniff'),
    });
  });

  router.get(['/', '/{*page}'], async (ctx) => {
    if (!built) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = notBuilt;
      return;
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', SITE_POLICY);
    await send(ctx, 'index.html', { root: bundleDir });
  });

  return router;
}
