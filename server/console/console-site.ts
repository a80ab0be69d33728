/**
 * The admin console at `$ISSUER/admin`: the static bundle Vite built (console/dist), served by
 * the static-site router (../static-site.ts) with the settings the bundle reads at start: the
 * issuer, its client id, the management API's audience and scopes.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { createStaticSiteRouter } from '../static-site.js';

/** Where `npm run build:console` writes the bundle, whether Tessera runs from source or compiled. */
export const CONSOLE_BUNDLE_DIR = path.join(PACKAGE_ROOT, 'console', 'dist');

export interface ConsoleSettings {
  issuer: string;
  client_id: string;
  audience: string;
  scopes: readonly string[];
}

export function createConsoleRouter(settings: ConsoleSettings, bundleDir = CONSOLE_BUNDLE_DIR) {
  return createStaticSiteRouter({
    prefix: '/admin',
    bundleDir,
    settings,
    notBuilt: 'The admin console has not been built: run `npm run build:console` (npm install does it).',
  });
}
