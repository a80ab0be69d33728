/**
 * The frame of every HTML page Tessera renders (login, consent, logout, errors, the SAML post
 * form): one head, and one Content-Security-Policy, which app.ts puts on every HTML answer
 * and which a page with an inline script widens by that script's hash alone.
 */
import { createHash } from 'node:crypto';
import { html, type SafeHtml, trusted } from './html.js';

/** Nothing loaded from anywhere, inline styles only, never framed; scripts only those given, by hash. */
export function pagePolicy(inlineScripts: readonly string[] = []): string {
  const hashes = inlineScripts.map((script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  return [
    "default-src 'none'",
    ...(hashes.length > 0 ? [`script-src ${hashes.join(' ')}`] : []),
    "style-src 'unsafe-inline'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy of a page without scripts: every page but the SAML post form. */
export const PAGE_POLICY = pagePolicy();

/**
 * The login page's: PAGE_POLICY with scripts from this origin (the passkey sign-in and the
 * WebAuthn library it uses, served as files by passkey-routes.ts) and their one call back to it,
 * for a challenge. Still no inline script.
 */
export const LOGIN_PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * PAGE_POLICY with an empty script-src (it allows nothing), set before an answer is made: the
 * auto-submitting forms oidc-provider writes itself (response_mode=form_post, and the sign-out that
 * comes before another person's sign-in in the same browser) add their one script's hash to a
 * script-src they find, and would be blocked by a policy set after them.
 */
export const PRESET_PAGE_POLICY = ["default-src 'none'", 'script-src', "style-src 'unsafe-inline'", "frame-ancestors 'none'"].join('; ');

/** `style` is the page's own stylesheet, written by Tessera. */
export function pageDocument(title: string, style: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${trusted(style)}</style>
</head>
<body>${body}</body>
</html>`.value;
}
