/**
 * The admin console at `$ISSUER/admin`: the static bundle Vite built (console/dist), and the
 * settings the bundle reads at start (issuer, its client id, the management API's audience and
 * scopes), so the same build runs under any issuer. Assets have content-hashed names and are
 * cached for a year; index.html is revalidated each time, so a new build is picked up at once.
 * Every other path under /admin is a page of the console and answers with index.html.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import send from 'koa-send';

/** Where `npm run build:console` writes the bundle, from this module in source or compiled form. */
export const CONSOLE_BUNDLE_DIR = path.resolve(import.meta.dirname, '../../console/dist');

export interface ConsoleSettings {
  issuer: string;
  client_id: string;
  audience: string;
  scopes: readonly string[];
}

/** Scripts, styles and API calls from this origin only; pictures from anywhere over https. */
export const CONSOLE_POLICY = [
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

export function createConsoleRouter(settings: ConsoleSettings, bundleDir = CONSOLE_BUNDLE_DIR) {
  const router = new Router({ prefix: '/admin' });
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
      ctx.body = 'The admin console has not been built: run `npm run build:console` (npm install does it).';
      return;
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', CONSOLE_POLICY);
    await send(ctx, 'index.html', { root: bundleDir });
  });

  return router;
}
