/**
 * The account page at `$ISSUER/account`: the bundle Vite builds from account/ into account/dist,
 * served as the console's is (../static-site.ts), with the settings it starts from: the issuer,
 * its own client `tessera-account`, the management API's audience, and the scopes it asks for
 * (every self-service scope, and the ID token's openid profile email).
 */
import path from 'node:path';
import { ACCOUNT_CLIENT_ID } from '../clients/account-client.js';
import { managementAudience, SELF_SERVICE_SCOPES } from '../oidc/management-api.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { createStaticSiteRouter } from '../static-site.js';

/** Where the account page's build writes the bundle, whether Tessera runs from source or compiled. */
export const ACCOUNT_BUNDLE_DIR = path.join(PACKAGE_ROOT, 'account', 'dist');

export const ACCOUNT_PAGE_SCOPES = ['openid', 'profile', 'email', ...SELF_SERVICE_SCOPES] as const;

export function accountPageSettings(issuer: string) {
  return { issuer, client_id: ACCOUNT_CLIENT_ID, audience: managementAudience(issuer), scopes: [...ACCOUNT_PAGE_SCOPES] };
}

export function createAccountRouter(issuer: string, bundleDir = ACCOUNT_BUNDLE_DIR) {
  return createStaticSiteRouter({
    prefix: '/account',
    bundleDir,
    settings: accountPageSettings(issuer),
    notBuilt: 'The account page has not been built: run `npm run build:account` (npm install does it).',
  });
}
