/**
 * samlify's view of one client's SAML pair: Tessera's identity provider, built from the very
 * metadata it publishes plus the private key, and the service provider the add-on describes,
 * which wants both the assertion and the response signed.
 */
import samlify from 'samlify';
import { type SamlAddon, SIGNATURE_ALGORITHMS } from './addon.js';
import { BINDINGS } from './metadata.js';
import type { SamlSigningKey } from './signing-key.js';

export interface SamlPair {
  idp: ReturnType<typeof samlify.IdentityProvider>;
  sp: ReturnType<typeof samlify.ServiceProvider>;
}

export function samlPair(metadata: string, key: SamlSigningKey, addon: SamlAddon): SamlPair {
  return {
    idp: samlify.IdentityProvider({
      metadata,
      privateKey: key.privateKeyPem,
      requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[addon.signature_algorithm],
    }),
    sp: samlify.ServiceProvider({
      entityID: addon.audience,
      assertionConsumerService: [{ Binding: BINDINGS.post, Location: addon.acs_url }],
      wantAssertionsSigned: true,
      wantMessageSigned: true,
    }),
  };
}
