/**
 * What every kind of connection does for a login, whatever its protocol: turn what the user
 * brought (a password, or a round trip through an upstream provider) into an UpstreamUser,
 * the user as the upstream names it. Normalization and persistence happen after, in one place.
 */
import type { ConnectionRecord } from '../../adapters/queries/records.js';

export interface IdpTokens {
  access_token?: string | undefined;
  refresh_token?: string | undefined;
  /** Seconds since the epoch. */
  expires_at?: number | undefined;
}

export interface UpstreamUser {
  /** The upstream's stable id for this user; the identity's `user_id` is built from it. */
  id: string;
  /** Attributes under the upstream's own names (`sn`, `surname`, SAML attribute URIs, …). */
  attributes: Record<string, unknown>;
  tokens?: IdpTokens | undefined;
  /**
   * A password that proved correct upstream and should be kept locally (argon2id), so later
   * logins need no upstream: a custom database connection's lazy migration.
   */
  importPassword?: string | undefined;
  /**
   * Set when Tessera checked the password against a hash it holds itself (a database user, or
   * one an earlier importPassword left): that user is signed in as stored, nothing refreshed.
   */
  storedUserId?: string | undefined;
}

/** Connections that take the login form's username and password: database, ldap, custom. */
export interface CredentialStrategy {
  readonly kind: 'credentials';
  /** Throws DomainError('auth.invalid_credentials') for a wrong login, 'auth.upstream_failed' when the upstream fails. */
  authenticate(connection: ConnectionRecord, login: string, password: string): Promise<UpstreamUser>;
}

/** What a redirect strategy keeps between sending the browser away and its return. */
export type FlowState = Record<string, unknown>;

export interface UpstreamRequest {
  method: string;
  /** The full URL the browser came back to, query included. */
  url: URL;
  /** The parsed form body of a POST (SAML's HTTP-POST binding, OIDC's form_post). */
  body: Record<string, unknown>;
}

/** Connections that send the browser to an upstream provider and back: oidc, saml. */
export interface RedirectStrategy {
  readonly kind: 'redirect';
  /**
   * Where to send the browser. `flowId` must come back with it (OIDC `state`, SAML
   * `RelayState`); `state` is stored with the flow and handed to `complete`.
   */
  begin(connection: ConnectionRecord, flowId: string): Promise<{ url: string; state: FlowState }>;
  /** Checks the upstream's answer against the flow; throws DomainError('auth.invalid_response' | 'auth.upstream_failed'). */
  complete(connection: ConnectionRecord, state: FlowState, request: UpstreamRequest): Promise<UpstreamUser>;
}

/**
 * A check an operator runs from the console before anyone logs in: reach the upstream with the
 * connection's options and say what answered, or throw the DomainError a login would show.
 */
export interface ConnectionCheck {
  check(connection: ConnectionRecord): Promise<string>;
}

export type LoginStrategy = (CredentialStrategy | RedirectStrategy) & Partial<ConnectionCheck>;
