/**
 * The checks node-saml leaves to its caller, made once it has verified the signature: who
 * issued the assertion, that it was delivered to this service provider (Destination, and the
 * bearer SubjectConfirmation's Recipient), the response's status, and until when the assertion
 * could be replayed.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-profiles-2.0-os.pdf §4.1.4.2–3
 */
import { DomainError } from '../../errors.js';
import { attribute, child, children, text, type XmlNode } from './xml-tree.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

export interface AssertionExpectations {
  acsUrl: string;
  idpEntityId?: string | undefined;
  clockSkewMs: number;
  now: number;
}

export interface CheckedAssertion {
  id: string;
  /** When a replay of it would be refused anyway: its last NotOnOrAfter, plus the clock skew. */
  replayableUntil: Date;
}

const invalid = (message: string) => new DomainError('auth.invalid_response', message);

function instant(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw invalid(`the SAML assertion's ${what} is not a date`);
  return time;
}

/**
 * The response element is not always signed, so it can only make Tessera refuse: a Destination
 * must be this one, and a status other than Success fails the login even with an assertion,
 * which node-saml would read without looking at the status.
 */
export function checkResponse(response: XmlNode | undefined, acsUrl: string): void {
  const status = attribute(child(child(response, 'Status'), 'StatusCode'), 'Value');
  if (status !== SUCCESS) {
    throw new DomainError('auth.upstream_failed', `the identity provider did not log the user in (status ${status ?? 'missing'})`);
  }
  const destination = attribute(response, 'Destination');
  if (destination !== undefined && destination !== acsUrl) {
    throw invalid(`the SAML response is addressed to another destination (${destination}), not to this service provider's ${acsUrl}`);
  }
}

/** `assertion` is the verified Assertion element. */
export function checkAssertion(assertion: XmlNode, expected: AssertionExpectations): CheckedAssertion {
  const id = attribute(assertion, 'ID');
  if (!id) throw invalid('the SAML assertion has no ID');

  const issuer = text(child(assertion, 'Issuer'));
  if (expected.idpEntityId !== undefined && issuer !== expected.idpEntityId) {
    throw invalid(`the SAML assertion was issued by "${issuer ?? '(nobody)'}", not by this connection's identity provider`);
  }

  const confirmations = children(child(assertion, 'Subject'), 'SubjectConfirmation')
    .filter((confirmation) => attribute(confirmation, 'Method') === BEARER)
    .map((confirmation) => child(confirmation, 'SubjectConfirmationData'));
  if (confirmations.length === 0) throw invalid('the SAML assertion has no bearer subject confirmation');
  const forUs = confirmations.filter((data) => attribute(data, 'Recipient') === expected.acsUrl);
  if (forUs.length === 0) {
    const recipients = confirmations.map((data) => attribute(data, 'Recipient') ?? '(none)').join(', ');
    throw invalid(`the SAML assertion is meant for another recipient (${recipients}), not for this service provider's ${expected.acsUrl}`);
  }
  const until = forUs.map((data) => instant(attribute(data, 'NotOnOrAfter'), 'subject confirmation NotOnOrAfter'));
  const latest = Math.max(...until.map((time) => time ?? Number.NEGATIVE_INFINITY));
  // The profile requires NotOnOrAfter: without it an intercepted assertion would be valid forever.
  if (latest === Number.NEGATIVE_INFINITY) throw invalid("the SAML assertion's subject confirmation has no NotOnOrAfter");
  if (expected.now - expected.clockSkewMs >= latest) throw invalid('the SAML assertion is expired');

  const conditionsUntil = instant(attribute(child(assertion, 'Conditions'), 'NotOnOrAfter'), 'Conditions NotOnOrAfter') ?? latest;
  return { id, replayableUntil: new Date(Math.max(latest, conditionsUntil) + expected.clockSkewMs) };
}
