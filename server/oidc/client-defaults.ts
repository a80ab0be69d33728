/**
 * What a client gets for a setting it was registered without: oidc-provider's clientDefaults,
 * which also say what metadata stored without the setting reads as, and clients.create's
 * defaults for the same settings.
 */
export const CLIENT_DEFAULTS = {
  grant_types: ['authorization_code', 'refresh_token'],
  // The code flow is the only response type the provider serves (docs/contract.md).
  response_types: ['code'],
  id_token_signed_response_alg: 'RS256',
  token_endpoint_auth_method: 'client_secret_basic',
} as const;
