/**
 * The login page's scripts for passkeys: @simplewebauthn/browser's own bundle as published (it
 * defines SimpleWebAuthnBrowser; no build of ours in between) and our small passkey-login.js.
 * The page's policy allows scripts from this origin only, so they are files under the issuer;
 * passkey-login.js is found from the package root, whether Tessera runs from source or compiled.
 * Each URL carries a hash of its file, so a new file is a new URL and both are cached for good.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

export interface PageScript {
  body: Buffer;
  /** Where the page loads it from, with its version. */
  url: string;
}

export const SCRIPTS_PATH = '/interaction/scripts';

function pageScript(name: string, file: string): [string, PageScript] {
  const body = readFileSync(file);
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return [name, { body, url: `${SCRIPTS_PATH}/${name}?v=${version}` }];
}

/** Read once, at start: in the order the page loads them (the library first). */
export function loadPasskeyScripts(): ReadonlyMap<string, PageScript> {
  // The package exports only its modules: the bundle is found beside its CommonJS entry.
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return new Map([
    pageScript('webauthn-browser.js', path.join(path.dirname(entry), '../dist/bundle/index.umd.min.js')),
    pageScript('passkey-login.js', path.join(PACKAGE_ROOT, 'server', 'interactions', 'assets', 'passkey-login.js')),
  ]);
}

/** The login page's passkey form: where its script asks for a challenge, where it posts the answer, and the scripts it loads. */
export function passkeyView(uid: string, scripts: ReadonlyMap<string, PageScript>) {
  return {
    optionsUrl: `/interaction/${uid}/passkey/options`,
    action: `/interaction/${uid}/passkey`,
    scripts: [...scripts.values()].map((script) => script.url),
  };
}
