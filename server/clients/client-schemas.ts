/**
 * Inputs of clients.* (docs/contract.md's procedure table) as zod schemas, with Auth0's defaults on
 * create, and the one shape a client leaves the API in.
 */
import type { ClientMetadata } from 'oidc-provider';
import { z } from 'zod';
import { MFA_POLICIES, type MfaPolicy } from '../mfa/mfa-policy.js';
import { CLIENT_DEFAULTS } from '../oidc/client-defaults.js';
import { MANAGEMENT_SCOPES } from '../oidc/management-api.js';
import { type SamlAddon, samlAddonSchema } from '../saml-idp/addon.js';
import { APP_TYPES } from './app-type.js';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
// private_key_jwt and tls_client_auth need a jwks or certificate this API does not take yet.
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'none'] as const;
export const ID_TOKEN_ALGS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;

const distinct = <T>(values: readonly T[]) => new Set(values).size === values.length;

export const clientIdSchema = z.string().min(1).max(128);
const uris = z.array(z.url().max(2048)).max(100);
const grantTypes = z.array(z.enum(GRANT_TYPES)).min(1).refine(distinct, 'must not repeat a grant type');
const connectionNames = z.array(z.string().min(1).max(128)).max(100).refine(distinct, 'must not repeat a connection');
/** Management API scopes a machine client may get with client_credentials (Tessera's own client field). */
const managementScopes = z.array(z.enum(MANAGEMENT_SCOPES)).refine(distinct, 'must not repeat a scope');

const description = z.string().max(140);

export const createClientInput = z.strictObject({
  name: z.string().min(1).max(255),
  /** Free text for operators, as Auth0's (at most 140 characters). */
  description: description.optional(),
  redirect_uris: uris.default([]),
  post_logout_redirect_uris: uris.default([]),
  grant_types: grantTypes.default(() => [...CLIENT_DEFAULTS.grant_types]),
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default(CLIENT_DEFAULTS.token_endpoint_auth_method),
  id_token_signed_response_alg: z.enum(ID_TOKEN_ALGS).default(CLIENT_DEFAULTS.id_token_signed_response_alg),
  is_first_party: z.boolean().default(true),
  /** PKCE on every authorization code flow; false opts a confidential client out (Tessera's own client field). */
  require_pkce: z.boolean().default(true),
  management_scopes: managementScopes.default([]),
  /** Tessera as this client's SAML identity provider (Tessera's own client field, after Auth0's `addons.samlp`). */
  saml_addon: samlAddonSchema.optional(),
  /** When this application's logins ask for a second factor (Tessera's own client field); MFA_POLICY when omitted. */
  mfa_policy: z.enum(MFA_POLICIES).optional(),
  /** Every database connection when omitted. */
  connections: connectionNames.optional(),
});
export type CreateClientInput = z.infer<typeof createClientInput>;

/** The fields given are replaced; the others keep their value. */
export const clientChanges = z.strictObject({
  name: z.string().min(1).max(255).optional(),
  /** null removes it. */
  description: description.nullable().optional(),
  redirect_uris: uris.optional(),
  post_logout_redirect_uris: uris.optional(),
  grant_types: grantTypes.optional(),
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
  id_token_signed_response_alg: z.enum(ID_TOKEN_ALGS).optional(),
  is_first_party: z.boolean().optional(),
  require_pkce: z.boolean().optional(),
  management_scopes: managementScopes.optional(),
  /** null turns the add-on off. */
  saml_addon: samlAddonSchema.nullable().optional(),
  /** null: MFA_POLICY again. */
  mfa_policy: z.enum(MFA_POLICIES).nullable().optional(),
  connections: connectionNames.optional(),
});
export type ClientChanges = z.infer<typeof clientChanges>;

export const updateClientInput = clientChanges.extend({ client_id: clientIdSchema });

export const clientIdInput = z.strictObject({ client_id: clientIdSchema });

export const listClientsInput = z
  .strictObject({
    /** Only the clients that are (true) or are not (false) first-party. */
    is_first_party: z.boolean().optional(),
    /** Only the clients of these application types, as server/clients/app-type.ts derives them. */
    app_type: z.array(z.enum(APP_TYPES)).max(APP_TYPES.length).optional(),
    page: z.number().int().min(0).default(0),
    per_page: z.number().int().min(1).max(100).default(50),
  })
  .prefault({});

/** What a client's metadata says, in the API's names; every field listed, none copied blindly. */
export interface ClientSettings {
  name: string;
  /** Present only when given. */
  description?: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  // The provider's own types: a client stored by other means may use a value this API does not offer.
  token_endpoint_auth_method: NonNullable<ClientMetadata['token_endpoint_auth_method']>;
  id_token_signed_response_alg: NonNullable<ClientMetadata['id_token_signed_response_alg']>;
  is_first_party: boolean;
  require_pkce: boolean;
  management_scopes: string[];
  /** Present only on a client that has the add-on. */
  saml_addon?: SamlAddon;
  /** Present only on a client with a policy of its own; MFA_POLICY otherwise. */
  mfa_policy?: MfaPolicy;
}

export interface ClientView extends ClientSettings {
  client_id: string;
  /** Only from create and rotateSecret. */
  client_secret?: string;
  connections: string[];
}
