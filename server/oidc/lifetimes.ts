/**
 * How long oidc-provider's artifacts live, in seconds: one table for Tessera's provider and for
 * the benchmarks' bare oidc-provider, which must match it for the comparison to be fair.
 */
import type { Configuration } from 'oidc-provider';

const HOUR = 60 * 60;
const DAY = 24 * HOUR;

/** No token of a grant outlives it, so neither need the claims its logins' rules set. */
export const GRANT_TTL_SECONDS = 30 * DAY;

/** A management API access token, user's or machine's. */
export const API_ACCESS_TOKEN_TTL_SECONDS = DAY;

/** oidc-provider's `ttl` option. */
export const ARTIFACT_TTL_SECONDS = {
  AccessToken: HOUR,
  AuthorizationCode: 60,
  ClientCredentials: HOUR,
  IdToken: HOUR,
  Interaction: HOUR,
  Grant: GRANT_TTL_SECONDS,
  Session: 14 * DAY,
  RefreshToken: 30 * DAY,
} as const;

type TokenTtl = (ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number | undefined } | undefined }) => number;

/** A token for an API lives as long as the API says (its token_lifetime); any other as long as `fallback`. */
const apiTokenLifetime =
  (fallback: number): TokenTtl =>
  (_ctx, token) =>
    token.resourceServer?.accessTokenTTL ?? fallback;

/** oidc-provider's `ttl` option for Tessera: the table above, with API tokens as long-lived as their API says. */
export const PROVIDER_TTL = {
  ...ARTIFACT_TTL_SECONDS,
  AccessToken: apiTokenLifetime(ARTIFACT_TTL_SECONDS.AccessToken),
  ClientCredentials: apiTokenLifetime(ARTIFACT_TTL_SECONDS.ClientCredentials),
} satisfies Configuration['ttl'];
