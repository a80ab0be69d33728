/**
 * The SAML Response for a logged-in user: a bearer assertion for the add-on's audience, valid
 * from its issue for the add-on's lifetime, answering the service provider's AuthnRequest;
 * samlify signs the assertion, then the whole response.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-profiles-2.0-os.pdf §4.1.4.2
 */
import { randomBytes } from 'node:crypto';
import type { SamlAddon } from './addon.js';
import { NAME_ID_FORMATS, type SamlAttribute } from './attributes.js';
import type { SamlPair } from './entities.js';
import { attributeNameFormat } from './metadata.js';
import { type Xml, xml } from './xml.js';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** Tessera does not tell the service provider how the user logged in (password, upstream provider…). */
const UNSPECIFIED_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';

export interface AssertionInput {
  idpEntityId: string;
  addon: SamlAddon;
  /** The AuthnRequest's ID. */
  inResponseTo: string;
  nameId: string;
  attributes: readonly SamlAttribute[];
  /** When the user last logged in at Tessera: a session may answer several requests. */
  authnInstant: Date;
  now: Date;
}

/** An XML ID must not start with a digit. */
const newId = () => `_${randomBytes(20).toString('hex')}`;

function xsiType(value: string | number | boolean): string {
  if (typeof value === 'boolean') return 'xs:boolean';
  return Number.isInteger(value) ? 'xs:integer' : 'xs:string';
}

function attributeStatement(attributes: readonly SamlAttribute[]): Xml | undefined {
  // The schema wants at least one attribute in a statement.
  if (attributes.length === 0) return undefined;
  const items = attributes.map(
    ({ name, values }) =>
      xml`<saml:Attribute Name="${name}" NameFormat="${attributeNameFormat(name)}">${values.map(
        (value) => xml`<saml:AttributeValue xsi:type="${xsiType(value)}">${String(value)}</saml:AttributeValue>`,
      )}</saml:Attribute>`,
  );
  return xml`<saml:AttributeStatement>${items}</saml:AttributeStatement>`;
}

function responseXml(input: AssertionInput): { id: string; xml: string } {
  const { addon, now } = input;
  const id = newId();
  const issued = now.toISOString();
  const until = new Date(now.getTime() + addon.lifetime_seconds * 1000).toISOString();
  const document = xml`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${issued}" Destination="${addon.acs_url}" InResponseTo="${input.inResponseTo}">\
<saml:Issuer>${input.idpEntityId}</saml:Issuer>\
<samlp:Status><samlp:StatusCode Value="${SUCCESS}"/></samlp:Status>\
<saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${newId()}" Version="2.0" IssueInstant="${issued}">\
<saml:Issuer>${input.idpEntityId}</saml:Issuer>\
<saml:Subject>\
<saml:NameID Format="${NAME_ID_FORMATS[addon.name_id_attribute]}">${input.nameId}</saml:NameID>\
<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${addon.acs_url}" InResponseTo="${input.inResponseTo}"/></saml:SubjectConfirmation>\
</saml:Subject>\
<saml:Conditions NotBefore="${issued}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${addon.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant="${input.authnInstant.toISOString()}"><saml:AuthnContext><saml:AuthnContextClassRef>${UNSPECIFIED_CONTEXT}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
${attributeStatement(input.attributes)}\
</saml:Assertion>\
</samlp:Response>`;
  return { id, xml: document.value };
}

/** The signed response, base64-encoded for the HTTP-POST binding's SAMLResponse field. */
export async function signedResponse(pair: SamlPair, input: AssertionInput): Promise<string> {
  const { id, xml: unsigned } = responseXml(input);
  const signed = await pair.idp.createLoginResponse(
    pair.sp,
    { extract: { request: { id: input.inResponseTo } } },
    'post',
    {},
    {
      customTagReplacement: () => ({ id, context: unsigned }),
    },
  );
  return signed.context;
}
