/**
 * Inputs of resourceServers.* (docs/contract.md's procedure table) as zod schemas, after Auth0's
 * resource servers: the audience a client names with `resource`, its scopes, the algorithm its
 * access tokens are signed with, their lifetime, and which clients may get which scopes with
 * client_credentials (Auth0's client grants, kept on the API they grant).
 * @see https://auth0.com/docs/get-started/apis
 */
import { z } from 'zod';
import { clientIdSchema } from '../clients/client-schemas.js';
import { API_ACCESS_TOKEN_TTL_SECONDS } from '../oidc/lifetimes.js';

/** Asymmetric algorithms with a key in the JWKS, so any API can verify a token alone. */
export const API_SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type ApiSigningAlg = (typeof API_SIGNING_ALGS)[number];

/** Auth0's bounds: a minute to 30 days. */
const MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 60 * 60;

const distinct = <T>(values: readonly T[]) => new Set(values).size === values.length;

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const scopeToken = z
  .string()
  .min(1)
  .max(280)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be printable ASCII without spaces, quotes or backslashes');

/** RFC 8707 §2: an absolute URI without a fragment, which is what oidc-provider accepts as `resource`. */
const identifier = z
  .url()
  .max(2048)
  .refine((value) => !value.includes('#'), 'must not contain a fragment');

const scopes = z
  .array(z.strictObject({ value: scopeToken, description: z.string().max(500).optional() }))
  .max(100)
  .refine((list) => distinct(list.map((scope) => scope.value)), 'must not repeat a scope');

const clientGrants = z
  .array(z.strictObject({ client_id: clientIdSchema, scope: z.array(scopeToken).max(100).refine(distinct, 'must not repeat a scope') }))
  .max(100)
  .refine((list) => distinct(list.map((grant) => grant.client_id)), 'must not repeat a client');

export const createResourceServerInput = z.strictObject({
  identifier,
  name: z.string().min(1).max(255),
  scopes: scopes.default([]),
  signing_alg: z.enum(API_SIGNING_ALGS).default('RS256'),
  token_lifetime: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).default(API_ACCESS_TOKEN_TTL_SECONDS),
  /** Clients allowed to get tokens for this API with client_credentials, and the scopes each may get. */
  client_grants: clientGrants.default([]),
});
export type CreateResourceServerInput = z.infer<typeof createResourceServerInput>;

/** The id, or the identifier, as Auth0 takes either. */
export const resourceServerIdInput = z.strictObject({ id: z.string().min(1).max(2048) });

/** The fields given are replaced; the others keep their value. The identifier never changes: tokens name it. */
export const updateResourceServerInput = resourceServerIdInput.extend({
  name: z.string().min(1).max(255).optional(),
  scopes: scopes.optional(),
  signing_alg: z.enum(API_SIGNING_ALGS).optional(),
  token_lifetime: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
  client_grants: clientGrants.optional(),
});
export type UpdateResourceServerInput = z.infer<typeof updateResourceServerInput>;

export const listResourceServersInput = z
  .strictObject({
    page: z.number().int().min(0).default(0),
    per_page: z.number().int().min(1).max(100).default(50),
  })
  .prefault({});

/** A resource server as the API shows it; every field listed. */
export interface ResourceServerView {
  id: string;
  identifier: string;
  name: string;
  scopes: Array<{ value: string; description?: string | undefined }>;
  signing_alg: ApiSigningAlg;
  token_lifetime: number;
  /** The management API's grants are its clients' `management_scopes`, so it has none here. */
  client_grants?: Array<{ client_id: string; scope: string[] }>;
  /** The built-in management API: only its signing_alg and token_lifetime change, and it cannot be deleted. */
  is_system: boolean;
}
