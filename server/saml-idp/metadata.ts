/**
 * `GET $ISSUER/samlp/metadata/:client_id`: the identity provider's metadata for one client's
 * service provider: entity id, signing certificate, the NameID format and attributes it will
 * send, and the single sign-on service for both request bindings. The same document
 * configures samlify's identity provider, so what is published is what is used.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-metadata-2.0-os.pdf §2.4.3
 */
import type { SamlAddon } from './addon.js';
import { NAME_ID_FORMATS } from './attributes.js';
import { xml } from './xml.js';

export const BINDINGS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

const URI_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const BASIC_NAME_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';

/** A claim URI or URN is announced as such; a bare name (`email`) as a basic one. */
export function attributeNameFormat(name: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(name) ? URI_NAME_FORMAT : BASIC_NAME_FORMAT;
}

/** The certificate's base64 body, as XML signatures and metadata carry it. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export interface IdpMetadataInput {
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  addon: SamlAddon;
}

export function idpMetadata({ entityId, ssoUrl, certificatePem, addon }: IdpMetadataInput): string {
  const attributes = Object.values(addon.mappings).map(
    (name) => xml`<saml:Attribute Name="${name}" NameFormat="${attributeNameFormat(name)}"/>`,
  );
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>${NAME_ID_FORMATS[addon.name_id_attribute]}</md:NameIDFormat>
    <md:SingleSignOnService Binding="${BINDINGS.redirect}" Location="${ssoUrl}"/>
    <md:SingleSignOnService Binding="${BINDINGS.post}" Location="${ssoUrl}"/>
    ${attributes}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`.value;
}
