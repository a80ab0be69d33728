/** Real user logins through a target's own HTML forms with openid-client, yielding access and refresh tokens. */
import * as oidc from 'openid-client';
import { Browser, isPage, type Visit } from '../test/support/browser.js';
import { REDIRECT_URI, type Target } from './target.js';

const SCOPE = 'openid profile email offline_access';
// Tessera shows one form (login; it consents for first-party clients itself), oidc-provider's
// dev interactions two (login, then consent).
const MAX_FORMS = 3;

export interface UserTokens {
  /** For userinfo. */
  readonly accessToken: string;
  /** One per connection, each from its own login and so its own grant. */
  readonly refreshTokens: readonly string[];
}

/**
 * One login through the target's forms, from the authorization request to the redirect that
 * carries the code; returns that redirect and the PKCE verifier and state to redeem it with.
 */
export async function signIn(config: oidc.Configuration, formValues: Readonly<Record<string, string>>) {
  const browser = new Browser();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    // OpenID Connect honours offline_access only with prompt=consent (Tessera adds it itself, the bare provider does not).
    prompt: 'consent',
  });
  let visit: Visit = await browser.navigate(url.toString(), REDIRECT_URI);
  for (let forms = 0; isPage(visit) && forms < MAX_FORMS; forms += 1) {
    visit = await browser.submit(visit, formValues, REDIRECT_URI);
  }
  if (isPage(visit)) throw new Error(`login did not complete: ${visit.status} ${visit.html.slice(0, 300)}`);
  const redirect = new URL(visit.redirect);
  if (!redirect.searchParams.has('code')) throw new Error(`login ended without a code: ${redirect.search}`);
  return { redirect, codeVerifier, state };
}

async function login(config: oidc.Configuration, formValues: Readonly<Record<string, string>>) {
  const { redirect, codeVerifier, state } = await signIn(config, formValues);
  const tokens = await oidc.authorizationCodeGrant(config, redirect, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
  });
  if (!tokens.refresh_token) throw new Error('login returned no refresh token');
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

/** The target's web client as openid-client sees it, from its discovery document. */
export function discoverWebClient(target: Target): Promise<oidc.Configuration> {
  const { clientId, clientSecret } = target.webClient;
  return oidc.discovery(new URL(target.issuer), clientId, { client_secret: clientSecret }, oidc.ClientSecretBasic(clientSecret), {
    execute: [oidc.allowInsecureRequests],
  });
}

export async function issueUserTokens(target: Target, refreshTokenCount: number): Promise<UserTokens> {
  const config = await discoverWebClient(target);
  const { accessToken } = await login(config, target.loginForm);
  const refreshTokens: string[] = [];
  for (let i = 0; i < refreshTokenCount; i += 1) refreshTokens.push((await login(config, target.loginForm)).refreshToken);
  return { accessToken, refreshTokens };
}
