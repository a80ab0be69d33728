/**
 * Signing the operator in through Tessera's own login page: authorization code with PKCE as a
 * public client. The access token lives in memory only; what must survive the trip to the login
 * page (the PKCE verifier, the state, the page to come back to) waits in sessionStorage, and is
 * removed as soon as the callback reads it.
 */
import * as oauth from 'oauth4webapi';
import type { ManagementScope } from '../../server/oidc/management-api.js';

export interface ConsoleSettings {
  issuer: string;
  client_id: string;
  audience: string;
  scopes: ManagementScope[];
}

export interface Session {
  accessToken: string;
  expiresAt: number;
  scopes: Set<string>;
  subject: string;
  /** How the header names the operator: their name or email from the ID token, else the subject. */
  displayName: string;
}

const PENDING_KEY = 'tessera-console-sign-in';
const CALLBACK_PATH = '/admin/callback';

interface PendingSignIn {
  verifier: string;
  state: string;
  returnTo: string;
}

export async function loadSettings(): Promise<ConsoleSettings> {
  const response = await fetch('/admin/settings.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`the console's settings could not be loaded (HTTP ${response.status})`);
  return (await response.json()) as ConsoleSettings;
}

/** A plain-http issuer is a developer's own machine; oauth4webapi refuses http unless told. */
function transport(settings: ConsoleSettings): { [oauth.allowInsecureRequests]?: boolean } {
  return new URL(settings.issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(settings: ConsoleSettings): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(settings.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, transport(settings)));
}

function redirectUri(): string {
  return new URL(CALLBACK_PATH, window.location.origin).href;
}

/** Leaves for the login page; the browser comes back to /admin/callback and then to `returnTo`. */
export async function signIn(settings: ConsoleSettings, returnTo: string): Promise<never> {
  const server = await discover(settings);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: PendingSignIn = { verifier, state, returnTo };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  if (!server.authorization_endpoint) throw new Error('the issuer has no authorization endpoint');
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set('client_id', settings.client_id);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', ['openid', 'profile', 'email', ...settings.scopes].join(' '));
  url.searchParams.set('resource', settings.audience);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  window.location.assign(url.href);
  return new Promise<never>(() => {});
}

export function isCallback(): boolean {
  return window.location.pathname === CALLBACK_PATH;
}

/** Finishes a sign-in at /admin/callback: the session, and the page the operator was on. */
export async function completeSignIn(settings: ConsoleSettings): Promise<{ session: Session; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) throw new Error('this sign-in was not started here, or was already finished');
  const pending = JSON.parse(raw) as PendingSignIn;
  const server = await discover(settings);
  const client: oauth.Client = { client_id: settings.client_id };
  const params = oauth.validateAuthResponse(server, client, new URL(window.location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), params, redirectUri(), pending.verifier, {
    additionalParameters: { resource: settings.audience },
    ...transport(settings),
  });
  const result = await oauth.processAuthorizationCodeResponse(server, client, response);
  const claims = oauth.getValidatedIdTokenClaims(result);
  return {
    session: {
      accessToken: result.access_token,
      expiresAt: Date.now() + (result.expires_in ?? 0) * 1000,
      scopes: new Set((result.scope ?? '').split(' ').filter(Boolean)),
      subject: claims?.sub ?? '',
      displayName: String(claims?.['name'] ?? claims?.['email'] ?? claims?.sub ?? ''),
    },
    returnTo: pending.returnTo.startsWith('/admin') ? pending.returnTo : '/admin/',
  };
}
