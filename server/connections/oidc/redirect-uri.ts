/**
 * The redirect_uri of every oidc connection: register it at the upstream provider as the
 * client's redirect URI. server/interactions/upstream-callback.ts serves it.
 */
export const OIDC_CALLBACK_PATH = '/login/callback';

/** `$ISSUER/login/callback`, built from the issuer (never from a request's Host). */
export function oidcRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`;
}
