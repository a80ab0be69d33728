/**
 * Sign-ins as the account page and applications make them, for the tests of me.sessions,
 * me.applications and me.link: through the login form, or silently when the browser's session
 * already answers, and the account page's own client `tessera-account` when the branch under test
 * does not register it yet.
 */
import type * as oidc from 'openid-client';
import { authorizationCodeGrant } from 'openid-client';
import { LINK_AUDIENCE } from '../../server/accounts/own-identities.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import type { Tessera } from '../../server/tessera.js';
import { Browser, isPage } from './browser.js';
import { discover, openLoginPage, REDIRECT_URI } from './relying-party.js';

export interface Person {
  email: string;
  password: string;
}

export interface SignInOptions {
  browser?: Browser;
  scope?: string;
  extraParams?: Record<string, string>;
  redirectUri?: string;
}

/** A login through the form when one is shown, straight through when the browser's session answers. */
export async function signIn(config: oidc.Configuration, person: Person, options: SignInOptions = {}) {
  const { browser = new Browser(), scope = 'openid', extraParams = {}, redirectUri = REDIRECT_URI } = options;
  const { page, codeVerifier, state, nonce } = await openLoginPage(config, scope, extraParams, browser, redirectUri);
  let done = isPage(page) ? await browser.submit(page, { username: person.email, password: person.password }, redirectUri) : page;
  // Another person signing in where someone is signed in: oidc-provider first ends that session
  // through a form its page submits by script, as a browser would.
  if (isPage(done) && done.document.querySelector('form')?.getAttribute('action')?.endsWith('/session/end/confirm')) {
    done = await browser.submit(done, {}, redirectUri);
  }
  if (isPage(done)) throw new Error(`sign-in did not complete: ${done.status} ${done.html.slice(0, 300)}`);
  const tokens = await authorizationCodeGrant(config, new URL(done.redirect), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: scope.split(' ').includes('openid'),
  });
  return { tokens, browser };
}

export const accountCallback = (issuer: string) => `${issuer}/account/callback`;

/** The account page's client, registered here as Tessera registers it (public, PKCE, first-party) when it is not there yet. */
export async function accountClient(tessera: Tessera & { issuer: string }): Promise<oidc.Configuration> {
  if (!(await tessera.services.clients.find(LINK_AUDIENCE))) {
    await tessera.services.management.clients.register(
      {
        client_id: LINK_AUDIENCE,
        client_name: 'Tessera account',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [accountCallback(tessera.issuer)],
        is_first_party: true,
        require_pkce: true,
      },
      [DEFAULT_DATABASE_CONNECTION],
    );
  }
  return discover(tessera.issuer, LINK_AUDIENCE);
}
