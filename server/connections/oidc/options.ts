/**
 * Options of an `oidc` connection: an upstream OpenID provider found by discovery.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

export const oidcOptionsSchema = z.strictObject({
  /** The upstream's issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url(),
  client_id: z.string().min(1).max(512),
  /** Omitted for a public client (PKCE only). */
  client_secret: z.string().min(1).max(1024).optional(),
  scope: z.string().min(1).max(1024).default('openid profile email'),
  /** Shown as `identities[].isSocial`: true for social providers (Google, GitHub, …). */
  is_social: z.boolean().default(false),
  timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type OidcOptions = z.infer<typeof oidcOptionsSchema>;
