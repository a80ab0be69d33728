/**
 * The `oidc` strategy: Tessera as a relying party of an upstream OpenID provider, through
 * openid-client. The browser is sent to the upstream's authorization endpoint with PKCE (S256),
 * a nonce, and the login's flow id as `state`; when it comes back to $ISSUER/login/callback,
 * the code is exchanged, the ID token checked (signature, issuer, audience, nonce, times),
 * userinfo read, and the upstream's tokens handed on to be sealed on the identity.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 */
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { ConnectionCheck, IdpTokens, RedirectStrategy, UpstreamUser } from '../strategy.js';
import { upstreamCallbackUrl } from '../upstream-callback-url.js';
import { createDiscoveryCache, discover } from './discovery.js';
import { type OidcOptions, oidcOptionsSchema } from './options.js';
import { type UpstreamStep, upstreamFailure } from './upstream-errors.js';

/** What a login keeps between leaving for the upstream and coming back. */
const flowStateSchema = z.object({ state: z.string(), nonce: z.string(), code_verifier: z.string() });

/** Claims about the ID token itself rather than the user: no mapping should see them. */
const TOKEN_CLAIMS = [
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'auth_time',
  'azp',
  'sid',
  'acr',
  'amr',
];

function userClaims(claims: oidc.IDToken): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !TOKEN_CLAIMS.includes(name)));
}

function idpTokens(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): IdpTokens {
  const expiresIn = tokens.expiresIn();
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: expiresIn === undefined ? undefined : Math.floor(Date.now() / 1000) + expiresIn,
  };
}

export function createOidcStrategy({ issuer, logger }: StrategyDependencies): RedirectStrategy & ConnectionCheck {
  const log = logger.child({ component: 'oidc-upstream' });
  const discovery = createDiscoveryCache();
  const redirectUri = upstreamCallbackUrl(issuer);

  /** Runs one exchange with the upstream, turning its failure into what the login page shows. */
  async function step<T>(connection: ConnectionRecord, options: OidcOptions, name: UpstreamStep, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const failure = upstreamFailure(error, name, options.timeout_ms);
      if (failure !== error && failure.code !== 'auth.invalid_credentials') {
        // The page shows the failure; the cause it summarizes is for the operator. A user's own refusal needs no more.
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
        log.warn(
          { connection: connection.name, step: name, code: failure.code, err: (error as Error).message, cause },
          'upstream provider failed a login',
        );
      }
      throw failure;
    }
  }

  const configuration = (connection: ConnectionRecord, options: OidcOptions) =>
    step(connection, options, 'discovery', () => discovery.configuration(connection.id, options));

  return {
    kind: 'redirect',

    async begin(connection, flowId) {
      const options = oidcOptionsSchema.parse(connection.options);
      const config = await configuration(connection, options);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
      // Fails when the discovery document has no authorization_endpoint.
      const url = await step(connection, options, 'discovery', async () =>
        oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: options.scope,
          state: flowId,
          nonce,
          code_challenge: codeChallenge,
          code_challenge_method: 'S256',
        }),
      );
      return { url: url.href, state: { state: flowId, nonce, code_verifier: codeVerifier } };
    },

    /** A fresh discovery, not the cached one, so the answer is the upstream's as it is now. */
    async check(connection) {
      const options = oidcOptionsSchema.parse(connection.options);
      const config = await step(connection, options, 'discovery', () => discover(options));
      const metadata = config.serverMetadata();
      if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
        throw new DomainError('auth.upstream_failed', `${options.issuer} answered discovery without an authorization and a token endpoint`);
      }
      return `Discovery of ${metadata.issuer} succeeded: authorization at ${metadata.authorization_endpoint}, tokens at ${metadata.token_endpoint}.`;
    },

    async complete(connection, flowState, request): Promise<UpstreamUser> {
      const options = oidcOptionsSchema.parse(connection.options);
      const saved = flowStateSchema.safeParse(flowState);
      if (!saved.success)
        throw new DomainError(
          'auth.invalid_response',
          'This login was not started for an OpenID provider. Please start again from the application.',
        );
      const config = await configuration(connection, options);
      // The redirect_uri exactly as sent, whatever Host the browser came back through.
      const response = new URL(`${redirectUri}${request.url.search}`);
      const tokens = await step(connection, options, 'token', () =>
        oidc.authorizationCodeGrant(config, response, {
          pkceCodeVerifier: saved.data.code_verifier,
          expectedState: saved.data.state,
          expectedNonce: saved.data.nonce,
          idTokenExpected: true,
        }),
      );
      const claims = tokens.claims();
      if (!claims) throw new DomainError('auth.invalid_response', 'The upstream provider returned no ID token.');
      const userinfo = config.serverMetadata().userinfo_endpoint
        ? await step(connection, options, 'userinfo', () => oidc.fetchUserInfo(config, tokens.access_token, claims.sub))
        : {};
      // userinfo is the fuller and fresher of the two.
      return { id: claims.sub, attributes: { ...userClaims(claims), ...userinfo }, tokens: idpTokens(tokens) };
    },
  };
}
