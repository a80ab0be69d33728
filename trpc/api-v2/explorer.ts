/**
 * The Management API v2's description, below its prefix: the OpenAPI document
 * (`/openapi.json`, no token needed: it holds no data) and an interactive explorer (`/docs`), the
 * Scalar API reference as its package publishes it, served from Tessera and never from a CDN.
 * Every endpoint with its scopes, a "try it" that takes a bearer token, and the curl command.
 *
 * The Scalar bundle is a dev dependency: the image copies that one file to the same place under
 * the package root (see Dockerfile). Without it the page answers 503 saying so.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type Router from '@koa/router';
import { html } from '../../server/interactions/html.js';
import { PACKAGE_ROOT } from '../../server/package-root.js';

export const SCALAR_BUNDLE = path.join(PACKAGE_ROOT, 'node_modules', '@scalar', 'api-reference', 'dist', 'browser', 'standalone.js');

/**
 * The explorer page's policy, as strict as Scalar runs under (each relaxation was tried without):
 * - scripts from this origin only: the Scalar bundle; its settings are data attributes, not an
 *   inline script. No 'unsafe-eval': the zod inside the bundle probes `new Function` once, in a
 *   try/catch, and parses without compiling when refused (one reported violation, harmless).
 * - styles 'unsafe-inline', and nothing else: Scalar's components write their CSS into `<style>`
 *   elements and `style` attributes from script, with no nonce to give them.
 * - images from data: URLs only (the page's empty favicon; Scalar's icons are inline SVG).
 * - requests to this origin only: the document, and "try it", which calls this API.
 * No fonts (Scalar's default fonts, from its own host, are turned off), frames, forms or base.
 */
export const EXPLORER_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Scalar's settings: nothing leaves for Scalar's servers (no default fonts from fonts.scalar.com,
 * no request proxy, no AI agent, no telemetry, no link to Scalar's hosted client), the token is
 * kept for the page's life only, and curl is the example shown first.
 */
const SCALAR_SETTINGS = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  persistAuth: false,
  // Its button sends the document's URL to client.scalar.com; each operation's "Test Request" opens the client here.
  hideClientButton: true,
  documentDownloadType: 'json',
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  authentication: { preferredSecurityScheme: 'bearer' },
  metaData: { title: 'Tessera Management API v2' },
};

interface Bundle {
  body: Buffer;
  gzipped: Buffer;
  /** Part of the script's URL, so a new bundle is a new URL and the old one is cached for good. */
  version: string;
}

const YEAR_SECONDS = 365 * 24 * 60 * 60;

/** Read and compressed on the first visit, not at start: most Tessera processes never serve the explorer. */
function bundleLoader(file: string): () => Promise<Bundle | undefined> {
  let loading: Promise<Bundle | undefined> | undefined;
  return () => {
    loading ??= readFile(file).then(
      async (body) => ({
        body,
        gzipped: await promisify(gzip)(body),
        version: createHash('sha256').update(body).digest('base64url').slice(0, 16),
      }),
      () => undefined,
    );
    return loading;
  };
}

function explorerPage(prefix: string, bundle: Bundle): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Tessera Management API v2</title>
</head>
<body>
<script id="api-reference" type="application/json" data-url="${prefix}/openapi.json" data-configuration="${JSON.stringify(SCALAR_SETTINGS)}"></script>
<script src="${prefix}/docs/scalar.js?v=${bundle.version}"></script>
</body>
</html>
`.toString();
}

export interface ApiDescription {
  /** The router's prefix, `/api/v2`. */
  prefix: string;
  /** The OpenAPI document; computed on the first request and kept. */
  document(): object;
  /** Where the Scalar bundle is; tests give another file. */
  bundleFile?: string;
}

/** Adds the document and the explorer to the API's router: before its catch-all 404. */
export function serveApiDescription(router: Router, { prefix, document, bundleFile = SCALAR_BUNDLE }: ApiDescription): void {
  let computed: object | undefined;
  const bundle = bundleLoader(bundleFile);

  router.get('/openapi.json', (ctx) => {
    computed ??= document();
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = computed;
  });

  router.get('/docs', async (ctx) => {
    const loaded = await bundle();
    ctx.set('Cache-Control', 'no-cache');
    if (!loaded) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = `The API explorer's script is not installed (${path.relative(PACKAGE_ROOT, bundleFile)}); ${prefix}/openapi.json is served.`;
      return;
    }
    ctx.set('Content-Security-Policy', EXPLORER_POLICY);
    ctx.type = 'html';
    ctx.body = explorerPage(prefix, loaded);
  });

  router.get('/docs/scalar.js', async (ctx) => {
    const loaded = await bundle();
    if (!loaded) return;
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.vary('Accept-Encoding');
    ctx.set('Cache-Control', ctx.query['v'] === loaded.version ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
    if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = loaded.gzipped;
    } else {
      ctx.body = loaded.body;
    }
  });
}
