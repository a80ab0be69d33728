/**
 * The SAML add-on of a client (Auth0's `addons.samlp`): when a client has one, Tessera is the
 * SAML identity provider of the service provider it names. It is stored in the client's
 * metadata as `saml_addon`, one of Tessera's own client fields (docs/contract.md).
 * @see https://auth0.com/docs/authenticate/protocols/saml/saml-sso-integrations/configure-auth0-saml-identity-provider
 */
import { z } from 'zod';
import { profileSchema } from '../profiles/profile.js';

export const SAML_ADDON = 'saml_addon';

/** Profile attributes a SAML attribute can carry: the root's values, and metadata keys by name. */
const ROOT_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(profileSchema.shape).filter((field) => !['identities', 'user_metadata', 'app_metadata', 'management_scopes'].includes(field)),
);
const METADATA_FIELD = /^(user_metadata|app_metadata)\.[^.\s]+$/;

function isMappableField(field: string): boolean {
  return ROOT_FIELDS.has(field) || METADATA_FIELD.test(field);
}

const attributeName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\p{Cc}\s]+$/u, 'must have no spaces or control characters');

const profileField = z
  .string()
  .refine(isMappableField, 'must be a profile attribute (user_id, email, name, …) or user_metadata.<key> / app_metadata.<key>');

export const samlAddonSchema = z.strictObject({
  /** The service provider's entity id: the only issuer whose AuthnRequests are answered, and the assertion's Audience. */
  audience: z.string().min(1).max(1024),
  /** The service provider's assertion consumer service, where the response is posted (its Destination and Recipient). */
  acs_url: z.url({ protocol: /^https?$/ }).max(2048),
  /** Profile attribute → SAML attribute name; only mapped attributes are sent. */
  mappings: z
    .record(profileField, attributeName)
    .refine(
      (mappings) => new Set(Object.values(mappings)).size === Object.keys(mappings).length,
      'must not map two profile attributes to one SAML attribute',
    )
    .default({}),
  /** What the assertion's NameID holds. */
  name_id_attribute: z.enum(['user_id', 'email']).default('user_id'),
  // SHA-1 is left out on purpose: attribute values come from users, which is what a collision attack needs.
  signature_algorithm: z.enum(['rsa-sha256', 'rsa-sha512']).default('rsa-sha256'),
  /** How long the assertion is valid from its issue (Auth0's lifetimeInSeconds). */
  lifetime_seconds: z
    .number()
    .int()
    .min(30)
    .max(24 * 60 * 60)
    .default(60 * 60),
});
export type SamlAddon = z.infer<typeof samlAddonSchema>;

export const SIGNATURE_ALGORITHMS: Record<SamlAddon['signature_algorithm'], string> = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
};

/** Where Tessera's own authorization request for a SAML login returns; a redirect URI of every client with the add-on. */
export function samlCallbackUrl(issuer: string, clientId: string): string {
  return `${issuer}/samlp/${encodeURIComponent(clientId)}/callback`;
}

/** The single sign-on service of a client's add-on, for both bindings. */
export function samlSsoUrl(issuer: string, clientId: string): string {
  return `${issuer}/samlp/${encodeURIComponent(clientId)}`;
}

/** The identity provider's entity id, one per Tessera, in the shape of its SAML connections' `urn:tessera:<host>:<connection>`. */
export function samlIdpEntityId(issuer: string): string {
  return `urn:tessera:${new URL(issuer).host}`;
}

/** The first issue with a stored add-on, as `saml_addon.<path> <message>`, or undefined when it is valid. */
export function samlAddonProblem(value: unknown): string | undefined {
  const result = samlAddonSchema.safeParse(value);
  if (result.success) return undefined;
  const [issue] = result.error.issues;
  const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
  return `${SAML_ADDON}${path} ${issue?.message ?? 'is invalid'}`;
}

/**
 * The client's redirect URIs with the SAML callback added: applied by the provider when it
 * loads a client, so the callback is allowed without ever being stored or shown in `redirect_uris`.
 */
export function withSamlCallback(issuer: string, clientId: string, redirectUris: unknown): string[] {
  const uris = Array.isArray(redirectUris) ? redirectUris.filter((uri): uri is string => typeof uri === 'string') : [];
  const callback = samlCallbackUrl(issuer, clientId);
  return uris.includes(callback) ? uris : [...uris, callback];
}
