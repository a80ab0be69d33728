/**
 * Reads a service provider's AuthnRequest (HTTP-Redirect or HTTP-POST binding) and checks it is
 * one this client's add-on answers: from its service provider, for its assertion consumer
 * service, addressed to this endpoint. Anything else is refused with the reason, since the
 * person who sees the page is often the one configuring the service provider.
 *
 * The request is read with samlify's XPath extractor (xmldom, XXE-safe), not its
 * parseLoginRequest: that one needs the xmllint schema validator, which builds a new emscripten
 * module of several MB for every message and never frees it. An unsigned AuthnRequest is only
 * a wish anyway; what it may change (the response's destination) is checked against the add-on.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf §3.4.1
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf §3.4.4.1, §3.5.4
 */
import { inflateRawSync } from 'node:zlib';
import samlify from 'samlify';
import { DomainError } from '../errors.js';
import type { SamlAddon } from './addon.js';
import { BINDINGS } from './metadata.js';

export type RequestBinding = 'redirect' | 'post';

export interface AuthnRequest {
  id: string;
  /** The service provider's RelayState, handed back with the response untouched. */
  relayState: string | undefined;
  /** The service provider wants the user to log in again even with a session. */
  forceAuthn: boolean;
}

/** A request this endpoint will not answer ('saml.request_refused'): a page with the status of its code and the message. */
export class SamlRequestRefused extends DomainError {
  override name = 'SamlRequestRefused';
  constructor(message: string) {
    super('saml.request_refused', message);
  }
}

interface Extracted {
  request?: {
    id?: unknown;
    destination?: unknown;
    assertionConsumerServiceUrl?: unknown;
    protocolBinding?: unknown;
    forceAuthn?: unknown;
  } | null;
  issuer?: unknown;
}

const FIELDS = [
  {
    key: 'request',
    localPath: ['AuthnRequest'],
    attributes: ['ID', 'Destination', 'AssertionConsumerServiceURL', 'ProtocolBinding', 'ForceAuthn'],
  },
  { key: 'issuer', localPath: ['AuthnRequest', 'Issuer'], attributes: [] },
];

/** An AuthnRequest is a few kB; the cap stops a small deflated body from inflating to hundreds of MB. */
const MAX_REQUEST_BYTES = 128 * 1024;

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The request's XML. HTTP-Redirect deflates it; HTTP-POST only base64-encodes it, but node-saml
 * (and others) deflate it there too, so a POSTed request that is not XML is inflated.
 */
function decode(binding: RequestBinding, encoded: string): string {
  const bytes = Buffer.from(encoded, 'base64');
  if (binding === 'post' && bytes.toString('utf8').trimStart().startsWith('<')) return bytes.toString('utf8');
  return inflateRawSync(bytes, { maxOutputLength: MAX_REQUEST_BYTES }).toString('utf8');
}

function parse(binding: RequestBinding, fields: Record<string, unknown>): Extracted & { id: string } {
  const encoded = text(fields['SAMLRequest']);
  if (!encoded) throw new SamlRequestRefused('The request carries no SAMLRequest.');
  let extracted: Extracted | undefined;
  try {
    extracted = samlify.Extractor.extract(decode(binding, encoded), FIELDS) as Extracted;
  } catch {
    // Not deflate, not XML: refused below like any other message that is not an AuthnRequest.
  }
  const id = text(extracted?.request?.id);
  if (!extracted || !id) {
    throw new SamlRequestRefused(
      `The SAMLRequest is not a valid SAML AuthnRequest for the HTTP-${binding === 'redirect' ? 'Redirect' : 'POST'} binding.`,
    );
  }
  return { ...extracted, id };
}

export function readAuthnRequest(addon: SamlAddon, ssoUrl: string, binding: RequestBinding, fields: Record<string, unknown>): AuthnRequest {
  const { id, request, issuer: issuerValue } = parse(binding, fields);
  const issuer = text(issuerValue);
  if (issuer !== addon.audience) {
    throw new SamlRequestRefused(
      issuer
        ? `The AuthnRequest comes from "${issuer}", which is not the service provider of this application.`
        : 'The AuthnRequest names no issuer, so its service provider cannot be told.',
    );
  }
  const acs = text(request?.assertionConsumerServiceUrl);
  if (acs !== undefined && acs !== addon.acs_url) {
    throw new SamlRequestRefused(
      `The AuthnRequest asks for the response at "${acs}", which is not this application's assertion consumer service.`,
    );
  }
  const destination = text(request?.destination);
  if (destination !== undefined && destination !== ssoUrl) {
    throw new SamlRequestRefused(`The AuthnRequest is addressed to "${destination}", not to this application's single sign-on URL.`);
  }
  const protocolBinding = text(request?.protocolBinding);
  if (protocolBinding !== undefined && protocolBinding !== BINDINGS.post) {
    throw new SamlRequestRefused(`The AuthnRequest asks for the ${protocolBinding} binding; Tessera answers with HTTP-POST only.`);
  }
  const relayState = text(fields['RelayState']);
  // Kept with the login flow in PostgreSQL, whose text cannot hold NUL: refused here, as the
  // service provider's mistake, rather than failing the write.
  if (relayState?.includes('\u0000')) throw new SamlRequestRefused('The RelayState holds a NUL character.');
  return {
    id,
    relayState,
    forceAuthn: ['true', '1'].includes(text(request?.forceAuthn) ?? ''),
  };
}
