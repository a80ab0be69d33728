/**
 * Signing a person in through Tessera's own login page: authorization code with PKCE as a
 * public client. Shared by the admin console (/admin) and the account page (/account), each a
 * `Site`. The access token lives in memory only; what must survive the trip to the login page
 * (the PKCE verifier, the state, the nonce, the page to come back to, and whatever the caller
 * asks to carry) waits in sessionStorage, and is removed as soon as the callback reads it.
 */
import * as oauth from 'oauth4webapi';
import type { ManagementScope } from '../../server/oidc/management-api.js';

/** What `<site>/settings.json` holds. */
export interface SiteSettings {
  issuer: string;
  client_id: string;
  audience: string;
  scopes: readonly string[];
}

export interface ConsoleSettings extends SiteSettings {
  scopes: ManagementScope[];
}

/** A single-page application signing in: where it is served, and its own sessionStorage key. */
export interface Site {
  /** The path it is served under, without the trailing slash: '/admin'. */
  path: string;
  storageKey: string;
}

export const CONSOLE_SITE: Site = { path: '/admin', storageKey: 'tessera-console-sign-in' };

export interface Session {
  accessToken: string;
  expiresAt: number;
  scopes: Set<string>;
  subject: string;
  /** How the header names the person: their name or email from the ID token, else the subject. */
  displayName: string;
}

/** More than a plain sign-in: extra authorization parameters (a fresh sign-in for linking), and state to carry across it. */
export interface SignInOptions {
  /** prompt, max_age, connection…; with max_age the callback checks auth_time against it. */
  params?: Record<string, string>;
  /** Sent as a nonce and checked in the ID token: the token is meant for another use than this session. */
  nonce?: boolean;
  /** Kept in sessionStorage for the round trip only, handed back by completeSignIn. */
  carry?: string;
}

interface PendingSignIn {
  verifier: string;
  state: string;
  returnTo: string;
  nonce?: string;
  maxAge?: number;
  carry?: string;
}

export interface CompletedSignIn {
  session: Session;
  returnTo: string;
  /** The ID token as issued, for an API that wants it (me.link). */
  idToken: string;
  carry?: string;
}

export async function loadSettings<T extends SiteSettings>(site: Site): Promise<T> {
  const response = await fetch(`${site.path}/settings.json`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`the settings could not be loaded (HTTP ${response.status})`);
  return (await response.json()) as T;
}

/** A plain-http issuer is a developer's own machine; oauth4webapi refuses http unless told. */
function transport(settings: SiteSettings): { [oauth.allowInsecureRequests]?: boolean } {
  return new URL(settings.issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(settings: SiteSettings): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(settings.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, transport(settings)));
}

function redirectUri(site: Site): string {
  return new URL(`${site.path}/callback`, window.location.origin).href;
}

/** Leaves for the login page; the browser comes back to `<site>/callback` and then to `returnTo`. */
export async function signIn(site: Site, settings: SiteSettings, returnTo: string, options: SignInOptions = {}): Promise<never> {
  const server = await discover(settings);
  if (!server.authorization_endpoint) throw new Error('the issuer has no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = options.nonce ? oauth.generateRandomNonce() : undefined;
  const maxAge = options.params?.['max_age'];
  const pending: PendingSignIn = {
    verifier,
    state,
    returnTo,
    ...(nonce ? { nonce } : {}),
    ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}),
    ...(options.carry !== undefined ? { carry: options.carry } : {}),
  };
  sessionStorage.setItem(site.storageKey, JSON.stringify(pending));
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set('client_id', settings.client_id);
  url.searchParams.set('redirect_uri', redirectUri(site));
  url.searchParams.set('response_type', 'code');
  // The account page's settings name the OpenID scopes themselves; the console's do not.
  url.searchParams.set('scope', [...new Set(['openid', 'profile', 'email', ...settings.scopes])].join(' '));
  url.searchParams.set('resource', settings.audience);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (nonce) url.searchParams.set('nonce', nonce);
  for (const [name, value] of Object.entries(options.params ?? {})) url.searchParams.set(name, value);
  window.location.assign(url.href);
  return new Promise<never>(() => {});
}

export function isCallback(site: Site): boolean {
  return window.location.pathname === `${site.path}/callback`;
}

/** A sign-in that came back refused (cancelled on the login page, say): what it carried is handed back all the same. */
export class SignInFailed extends Error {
  constructor(
    message: string,
    readonly carry: string | undefined,
  ) {
    super(message);
  }
}

/** Finishes a sign-in at `<site>/callback`: the session, and the page the person was on. */
export async function completeSignIn(site: Site, settings: SiteSettings): Promise<CompletedSignIn> {
  const raw = sessionStorage.getItem(site.storageKey);
  sessionStorage.removeItem(site.storageKey);
  if (!raw) throw new Error('this sign-in was not started here, or was already finished');
  const pending = JSON.parse(raw) as PendingSignIn;
  try {
    return await exchange(site, settings, pending);
  } catch (error) {
    // The login page's own words (access_denied: "End-User aborted interaction") say more than oauth4webapi's.
    const message =
      error instanceof oauth.AuthorizationResponseError
        ? (error.error_description ?? error.error)
        : error instanceof Error
          ? error.message
          : String(error);
    throw new SignInFailed(message, pending.carry);
  }
}

async function exchange(site: Site, settings: SiteSettings, pending: PendingSignIn): Promise<CompletedSignIn> {
  const server = await discover(settings);
  const client: oauth.Client = { client_id: settings.client_id };
  const params = oauth.validateAuthResponse(server, client, new URL(window.location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), params, redirectUri(site), pending.verifier, {
    additionalParameters: { resource: settings.audience },
    ...transport(settings),
  });
  const result = await oauth.processAuthorizationCodeResponse(server, client, response, {
    ...(pending.nonce ? { expectedNonce: pending.nonce } : {}),
    ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
  });
  const claims = oauth.getValidatedIdTokenClaims(result);
  return {
    session: {
      accessToken: result.access_token,
      expiresAt: Date.now() + (result.expires_in ?? 0) * 1000,
      scopes: new Set((result.scope ?? '').split(' ').filter(Boolean)),
      subject: claims?.sub ?? '',
      displayName: String(claims?.['name'] ?? claims?.['email'] ?? claims?.sub ?? ''),
    },
    returnTo: pending.returnTo.startsWith(site.path) ? pending.returnTo : `${site.path}/`,
    idToken: result.id_token ?? '',
    ...(pending.carry !== undefined ? { carry: pending.carry } : {}),
  };
}
