/**
 * The oidc-provider models issued under a grant: revoking a grant revokes each of them, as
 * oidc-provider's own revocation does (lib/helpers/revoke.js), and the Redis adapter indexes
 * them by grant id so it can.
 */
export const GRANT_BOUND_MODELS: readonly string[] = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
];
