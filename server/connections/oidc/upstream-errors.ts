/**
 * openid-client's failures as the login page shows them: a DomainError whose code says whose
 * fault it is (the user's, the upstream's answer, the upstream itself) and whose message says
 * what went wrong. Messages name protocol values only, never a secret or a token.
 */
import * as oidc from 'openid-client';
import { DomainError } from '../../errors.js';

export type UpstreamStep = 'discovery' | 'token' | 'userinfo';

const STEP: Record<UpstreamStep, string> = {
  discovery: 'the discovery request',
  token: 'the token request',
  userinfo: 'the userinfo request',
};

/** Authorization errors that mean the user (or the upstream's policy for them) said no. */
const REFUSALS = new Set(['access_denied', 'login_required', 'consent_required', 'interaction_required', 'account_selection_required']);

// Upstream text reaches the page: keep it short.
const MAX_DESCRIPTION = 200;

function described(error: string, description: string | undefined): string {
  return description ? `${error}: ${description.slice(0, MAX_DESCRIPTION)}` : error;
}

function causeOf(error: Error): { message?: string; cause?: unknown } | undefined {
  return typeof error.cause === 'object' && error.cause !== null ? (error.cause as { message?: string; cause?: unknown }) : undefined;
}

const ID_TOKEN_CLAIMS: Record<string, string> = {
  nonce: "The ID token's nonce does not match this login.",
  iss: "The ID token was issued by another issuer than the connection's.",
  aud: 'The ID token was issued for another client.',
  azp: 'The ID token was issued for another client.',
};

function fromClientError(error: oidc.ClientError, step: UpstreamStep, timeoutMs: number): DomainError {
  const cause = causeOf(error);
  const detail = cause?.message ?? error.message;
  switch (error.code) {
    case 'OAUTH_TIMEOUT':
    case 'OAUTH_ABORT':
      return new DomainError('auth.upstream_failed', `The upstream provider did not answer ${STEP[step]} within ${timeoutMs} ms.`);
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED': {
      const claim = (cause?.cause as { claim?: string } | undefined)?.claim ?? '';
      return new DomainError(
        'auth.invalid_response',
        ID_TOKEN_CLAIMS[claim] ?? `The ID token's ${claim || 'claims'} claim does not match this login.`,
      );
    }
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return new DomainError('auth.invalid_response', `The ID token is expired or not yet valid (${detail}).`);
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return step === 'discovery'
        ? new DomainError('auth.upstream_failed', "The upstream provider's discovery document names another issuer than the connection's.")
        : new DomainError(
            'auth.invalid_response',
            `The upstream provider's answer to ${STEP[step]} does not match this login (${detail}).`,
          );
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
      const status = error.cause instanceof Response ? ` with HTTP ${error.cause.status}` : ' unexpectedly';
      return new DomainError('auth.upstream_failed', `The upstream provider answered ${STEP[step]}${status}.`);
    }
    default:
      return step === 'discovery'
        ? new DomainError('auth.upstream_failed', `The upstream provider's discovery document could not be used (${detail}).`)
        : new DomainError('auth.invalid_response', `The upstream provider's answer to ${STEP[step]} is invalid (${detail}).`);
  }
}

/** `fetch` fails with a TypeError whose cause is the socket's error (ECONNREFUSED, ENOTFOUND, …). */
function unreachable(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const code = (causeOf(error) as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'network error';
}

/** The DomainError the login page shows; anything that is not the upstream's doing (a bug) is rethrown as is. */
export function upstreamFailure(error: unknown, step: UpstreamStep, timeoutMs: number): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return REFUSALS.has(error.error)
      ? new DomainError(
          'auth.invalid_credentials',
          `The upstream provider refused the login (${described(error.error, error.error_description)}).`,
        )
      : new DomainError(
          'auth.upstream_failed',
          `The upstream provider answered the login with an error (${described(error.error, error.error_description)}).`,
        );
  }
  if (error instanceof oidc.ResponseBodyError) {
    const what = described(error.error, error.error_description);
    if (error.error === 'invalid_grant') {
      return new DomainError(
        'auth.invalid_response',
        `The upstream provider refused the authorization code (${what}); it belongs to another login, was already used or expired.`,
      );
    }
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client') {
      return new DomainError('auth.upstream_failed', `The upstream provider refused this connection's client credentials (${what}).`);
    }
    return new DomainError('auth.upstream_failed', `The upstream provider answered ${STEP[step]} with an error (${what}).`);
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return new DomainError(
      'auth.upstream_failed',
      `The upstream provider refused its own access token at ${STEP[step]} (HTTP ${error.status}).`,
    );
  }
  if (error instanceof oidc.ClientError) return fromClientError(error, step, timeoutMs);
  const network = unreachable(error);
  if (network) return new DomainError('auth.upstream_failed', `The upstream provider could not be reached for ${STEP[step]} (${network}).`);
  throw error;
}
