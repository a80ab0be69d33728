/**
 * A real openid-client (v6) relying party that logs a user in through Tessera's HTML form.
 */
import * as oidc from 'openid-client';
import { Browser, isPage, type Page } from './browser.js';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export async function discover(issuer: string, clientId: string, clientSecret?: string, metadata: Partial<oidc.ClientMetadata> = {}) {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    { ...metadata, ...(clientSecret ? { client_secret: clientSecret } : {}) },
    clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface LoginOptions {
  scope: string;
  username: string;
  password: string;
  extraParams?: Record<string, string>;
  browser?: Browser;
  /** The client's redirect URI, when it is not REDIRECT_URI (the console's `$ISSUER/admin/callback`). */
  redirectUri?: string;
}

export interface LoginResult {
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  browser: Browser;
  loginPage: Page;
}

/** Starts an authorization request and returns the login page it leads to. */
export async function openLoginPage(
  config: oidc.Configuration,
  scope: string,
  extraParams: Record<string, string> = {},
  browser = new Browser(),
  redirectUri = REDIRECT_URI,
) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extraParams,
  });
  const page = await browser.navigate(url.toString(), redirectUri);
  return { page, browser, codeVerifier, state, nonce };
}

export async function login(config: oidc.Configuration, options: LoginOptions): Promise<LoginResult> {
  const redirectUri = options.redirectUri ?? REDIRECT_URI;
  const { page, browser, codeVerifier, state, nonce } = await openLoginPage(
    config,
    options.scope,
    options.extraParams,
    options.browser,
    redirectUri,
  );
  if (!isPage(page)) throw new Error(`expected a login page, got a redirect to ${page.redirect}`);
  const after = await browser.submit(page, { username: options.username, password: options.password }, redirectUri);
  if (isPage(after)) throw new Error(`login did not complete: ${after.status} ${after.html.slice(0, 500)}`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(after.redirect), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: options.scope.split(' ').includes('openid'),
  });
  return { tokens, browser, loginPage: page };
}
