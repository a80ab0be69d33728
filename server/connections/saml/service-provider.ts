/**
 * Tessera as the service provider of one `saml` connection: its entity id, its assertion
 * consumer service, and node-saml configured with what every login through it requires.
 *
 * The entity id is `urn:tessera:<issuer host>:<connection name>`, the shape of Auth0's
 * `urn:auth0:<tenant>:<connection>`: identity-provider administrators already know it, it stays
 * the same if the metadata moves, and a connection's name cannot change, so neither can it.
 * @see https://auth0.com/docs/authenticate/protocols/saml/saml-sso-integrations/configure-auth0-saml-service-provider
 */
import { type CacheProvider, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { upstreamCallbackUrl } from '../upstream-callback-url.js';
import type { SamlOptions } from './options.js';

export const SAML_METADATA_PATH = '/samlp/metadata';

export interface ServiceProvider {
  entityId: string;
  /** The assertion consumer service: the URL assertions must name as Recipient. */
  acsUrl: string;
  metadataUrl: string;
}

export function serviceProvider(issuer: string, connectionName: string): ServiceProvider {
  const base = issuer.replace(/\/$/, '');
  const query = `?connection=${encodeURIComponent(connectionName)}`;
  return {
    entityId: `urn:tessera:${new URL(issuer).host}:${connectionName}`,
    acsUrl: `${upstreamCallbackUrl(issuer)}${query}`,
    metadataUrl: `${base}${SAML_METADATA_PATH}${query}`,
  };
}

/**
 * node-saml for one login. Assertions must be signed (the response may be too); every response
 * must answer the request this login sent, which `cacheProvider` knows.
 */
export function createSaml(sp: ServiceProvider, options: SamlOptions, cacheProvider: CacheProvider): SAML {
  return new SAML({
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: options.sign_in_url,
    idpCert: options.signing_cert,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: options.clock_skew_seconds * 1000,
    validateInResponseTo: ValidateInResponseTo.always,
    cacheProvider,
    // Let the identity provider pick its NameID format and authentication method: asking for
    // emailAddress or a password makes AD FS and Entra ID refuse users who signed in otherwise.
    identifierFormat: null,
    disableRequestedAuthnContext: true,
  });
}
