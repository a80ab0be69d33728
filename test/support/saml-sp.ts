/**
 * A SAML service provider for tests of Tessera as an identity provider, built with
 * @node-saml/node-saml as an application would: it trusts the certificate in Tessera's IdP
 * metadata, sends AuthnRequests (HTTP-Redirect or HTTP-POST) and validates what comes back.
 * Its assertion consumer service is only an address: the test browser runs no script, so
 * tests read Tessera's auto-posting form and hand its fields to the SP themselves.
 */
import { SAML, type SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import { parse } from 'node-html-parser';
import samlify from 'samlify';
import type { Page } from './browser.js';

export const SP_ENTITY_ID = 'https://sp.example.test/saml';
export const SP_ACS_URL = 'https://sp.example.test/saml/acs';

/** The X509Certificate of an IdP metadata document, as a PEM node-saml takes. */
export function certificateFromMetadata(metadataXml: string): string {
  const body = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(metadataXml)?.[1];
  if (!body) throw new Error(`no certificate in metadata: ${metadataXml.slice(0, 300)}`);
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export interface ServiceProviderOptions {
  ssoUrl: string;
  idpCert: string;
  entityId?: string;
  acsUrl?: string;
  binding?: 'HTTP-Redirect' | 'HTTP-POST';
  extra?: Partial<SamlConfig>;
}

/** node-saml requiring signed assertions and responses, and answers to the requests it sent. */
export function serviceProvider({
  ssoUrl,
  idpCert,
  entityId = SP_ENTITY_ID,
  acsUrl = SP_ACS_URL,
  binding = 'HTTP-Redirect',
  extra,
}: ServiceProviderOptions): SAML {
  return new SAML({
    entryPoint: ssoUrl,
    issuer: entityId,
    callbackUrl: acsUrl,
    idpCert,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    authnRequestBinding: binding,
    ...extra,
  });
}

export interface PostedForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

/** The form a page would post (Tessera's SAML response form, node-saml's AuthnRequest form). */
export function formOf(html: string): PostedForm {
  const form = parse(html).querySelector('form');
  if (!form) throw new Error(`no form in: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (name) fields[name] = input.getAttribute('value') ?? '';
  }
  return { action: form.getAttribute('action') ?? '', method: (form.getAttribute('method') ?? 'get').toLowerCase(), fields };
}

/** A page served from node-saml's HTML, so the test browser can submit its form. */
export function pageOf(url: string, html: string): Page {
  return { url, status: 200, html, document: parse(html) };
}

export interface ResponseFacts {
  destination: string;
  inResponseTo: string;
  recipient: string;
  audience: string;
  notBefore: string;
  notOnOrAfter: string;
  responseId: string;
  assertionId: string;
  /** The IDs the XML signatures reference: what they cover. */
  signedIds: string[];
  signatureMethods: string[];
}

/** What the decoded response says, read with samlify's extractor so the test does not trust Tessera's own code. */
export function responseFacts(samlResponse: string): ResponseFacts {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const extracted = samlify.Extractor.extract(xml, [
    { key: 'response', localPath: ['Response'], attributes: ['ID', 'Destination', 'InResponseTo'] },
    { key: 'assertion', localPath: ['Response', 'Assertion'], attributes: ['ID'] },
    {
      key: 'confirmation',
      localPath: ['Response', 'Assertion', 'Subject', 'SubjectConfirmation', 'SubjectConfirmationData'],
      attributes: ['Recipient'],
    },
    { key: 'audience', localPath: ['Response', 'Assertion', 'Conditions', 'AudienceRestriction', 'Audience'], attributes: [] },
    { key: 'conditions', localPath: ['Response', 'Assertion', 'Conditions'], attributes: ['NotBefore', 'NotOnOrAfter'] },
  ]) as Record<string, Record<string, string> | string>;
  const response = extracted['response'] as Record<string, string>;
  const conditions = extracted['conditions'] as Record<string, string>;
  return {
    destination: response['destination']!,
    inResponseTo: response['inResponseTo']!,
    recipient: extracted['confirmation'] as string,
    audience: extracted['audience'] as string,
    notBefore: conditions['notBefore']!,
    notOnOrAfter: conditions['notOnOrAfter']!,
    responseId: response['id']!,
    assertionId: extracted['assertion'] as string,
    signedIds: [...xml.matchAll(/<ds:Reference URI="#([^"]+)"/g)].map((match) => match[1]!),
    signatureMethods: [...xml.matchAll(/<ds:SignatureMethod Algorithm="([^"]+)"/g)].map((match) => match[1]!),
  };
}
