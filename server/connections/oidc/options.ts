/**
 * Options of an `oidc` connection: an upstream OpenID provider found by discovery.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Plain http is allowed only to this machine (a provider on the same host, tests): anywhere
 * else the code, the tokens and the client secret would cross the network in clear.
 */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

export const oidcOptionsSchema = z.strictObject({
  /** The upstream's issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url().refine((issuer) => URL.canParse(issuer) && (new URL(issuer).protocol === 'https:' || isLoopbackHttp(new URL(issuer))), {
    message: 'must be an https:// URL (http:// only for localhost or 127.0.0.1)',
  }),
  client_id: z.string().min(1).max(512),
  /** Omitted for a public client (PKCE only). Sealed at rest and never shown by the API. */
  client_secret: z.string().min(1).max(1024).optional(),
  /** How the client secret reaches the token endpoint; the OpenID default is HTTP Basic. */
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  scope: z
    .string()
    .min(1)
    .max(1024)
    .refine((scope) => scope.split(' ').includes('openid'), 'must include openid')
    .default('openid profile email'),
  /** Shown as `identities[].isSocial`: true for social providers (Google, GitHub, …). */
  is_social: z.boolean().default(false),
  /** Bounds each request to the upstream: discovery, keys, token, userinfo. */
  timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type OidcOptions = z.infer<typeof oidcOptionsSchema>;
