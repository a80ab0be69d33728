/**
 * Options of a `saml` connection: Tessera as the service provider of a SAML identity provider.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

const pem = z.string().min(1).max(16_384);

export const samlOptionsSchema = z.strictObject({
  /** The identity provider's single sign-on URL (HTTP-Redirect binding). */
  sign_in_url: z.url(),
  /** The certificate(s) the identity provider signs with; several during a rollover. */
  signing_cert: z.union([pem, z.array(pem).min(1).max(4)]),
  /** The identity provider's entity id; when set, a response from another issuer is refused. */
  idp_entity_id: z.string().min(1).max(1024).optional(),
  /** The attribute holding the user's stable id; the NameID when omitted. */
  user_id_attribute: z.string().min(1).max(512).optional(),
  /** Accepted clock difference with the identity provider. */
  clock_skew_seconds: z.number().int().min(0).max(600).default(60),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type SamlOptions = z.infer<typeof samlOptionsSchema>;
