/**
 * node-saml's failures, as messages the login page can show. node-saml says "Invalid
 * signature" both for an assertion nobody signed and for one signed with another key, and does
 * not say which time of a subject confirmation failed: the posted response tells them apart.
 */
import { SamlStatusError } from '@node-saml/node-saml';
import { DomainError } from '../../errors.js';
import { attribute, child, children, type XmlNode } from './xml-tree.js';

const invalid = (message: string) => new DomainError('auth.invalid_response', message);

function subjectConfirmationFailure(response: XmlNode | undefined, now: number, clockSkewMs: number): DomainError {
  const data = children(child(child(response, 'Assertion'), 'Subject'), 'SubjectConfirmation').map((confirmation) =>
    child(confirmation, 'SubjectConfirmationData'),
  );
  const past = (value: string | undefined) => value !== undefined && now - clockSkewMs >= Date.parse(value);
  if (data.length > 0 && data.every((item) => past(attribute(item, 'NotOnOrAfter')))) return invalid('the SAML assertion is expired');
  const future = (value: string | undefined) => value !== undefined && now + clockSkewMs < Date.parse(value);
  if (data.some((item) => future(attribute(item, 'NotBefore')))) return invalid('the SAML assertion is not valid yet');
  return invalid('the SAML assertion has no valid subject confirmation');
}

function signatureFailure(response: XmlNode | undefined): DomainError {
  const assertion = child(response, 'Assertion');
  if (children(assertion, 'Signature').length === 0) return invalid('the SAML assertion is not signed');
  return invalid("the SAML assertion's signature does not verify with the connection's signing certificate");
}

/**
 * The DomainError for one of node-saml's errors; undefined when it is none Tessera knows, which
 * the caller logs before refusing the response in general terms.
 * `response` is the posted response, parsed but not verified: it only chooses the words.
 */
export function samlFailure(error: unknown, response: XmlNode | undefined, now: number, clockSkewMs: number): DomainError | undefined {
  if (error instanceof SamlStatusError)
    return new DomainError('auth.upstream_failed', `the identity provider refused the login: ${error.message}`);
  const message = error instanceof Error ? error.message : '';
  if (/multiple assertions/.test(message)) return invalid('the SAML response holds more than one assertion');
  if (/^Invalid (document )?signature|Cannot obtain assertion from signed data/.test(message)) return signatureFailure(response);
  if (/InResponseTo/.test(message)) return invalid("the SAML response does not answer this login's request (InResponseTo)");
  if (/^SAML assertion expired/.test(message)) return invalid('the SAML assertion is expired');
  if (/^SAML assertion not yet valid/.test(message)) return invalid('the SAML assertion is not valid yet');
  if (/^No valid subject confirmation/.test(message)) return subjectConfirmationFailure(response, now, clockSkewMs);
  if (/audience mismatch|AudienceRestriction/.test(message))
    return invalid('the SAML assertion is meant for another audience than this service provider');
  if (/^No decryption key/.test(message)) return invalid('the SAML assertion is encrypted, which this connection does not support');
  if (/^Missing SAML assertion/.test(message)) return invalid('the SAML response holds no assertion');
  return undefined;
}
