/**
 * Where upstream providers send the browser back, whatever the protocol: the OIDC
 * redirect_uri and the SAML assertion consumer service. Operators register it upstream;
 * server/interactions/upstream-callback.ts serves it.
 */
export const UPSTREAM_CALLBACK_PATH = '/login/callback';

/** `$ISSUER/login/callback`, built from the issuer, never from a request's Host. */
export function upstreamCallbackUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${UPSTREAM_CALLBACK_PATH}`;
}
