/**
 * A SAML identity provider for tests, built with samlify: it trusts service providers by their
 * metadata, takes AuthnRequests over the HTTP-Redirect binding at its SSO URL, "logs in" its
 * current user without a page, and answers with the HTTP-POST binding's auto-posting form.
 * The test browser runs no script, so tests submit that form themselves.
 *
 * Each response can be made wrong in one way (audience, recipient, time window, signature) to
 * show what the service provider refuses; the defaults are what a well-behaved IdP sends.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import validator from '@authenio/samlify-node-xmllint';
import samlify from 'samlify';
import { type SelfSignedCertificate, selfSignedCertificate } from './certificates.js';

samlify.setSchemaValidator(validator);

const { Constants, SamlLib } = samlify;
type IdentityProvider = ReturnType<typeof samlify.IdentityProvider>;
type ServiceProvider = ReturnType<typeof samlify.ServiceProvider>;

export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

export interface SamlIdpUser {
  nameId: string;
  /** Attribute name (a claim URI, an OID) → its value or values. */
  attributes: Record<string, string | string[]>;
}

/** Which parts of the response carry an XML signature, and with which key. */
export type Signing = 'assertion' | 'response-and-assertion' | 'response-only' | 'none' | 'other-key';

export interface ResponseShape {
  signing?: Signing;
  audience?: string;
  /** The bearer SubjectConfirmationData's Recipient. */
  recipient?: string;
  /** The Response's Destination. */
  destination?: string;
  /** NotOnOrAfter of both the Conditions and the subject confirmation. */
  notOnOrAfter?: Date;
  issuer?: string;
  /** The top-level StatusCode, sent with the assertion all the same. */
  status?: string;
}

export interface ReceivedRequest {
  id: string;
  issuer: string;
  assertionConsumerServiceUrl: string | undefined;
  relayState: string | undefined;
}

export interface SamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly certificatePem: string;
  /** Who the next sign-in logs in. */
  user: SamlIdpUser;
  /** How every response is shaped until a test changes it back ({} is well-behaved). */
  shape: ResponseShape;
  readonly requests: ReceivedRequest[];
  /** Trusts a service provider, as an administrator importing its metadata would. */
  trust(metadataXml: string): void;
  close(): Promise<void>;
}

const escapeXml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function attributeStatement(attributes: SamlIdpUser['attributes']): string {
  const items = Object.entries(attributes).map(([name, value]) => {
    const values = (Array.isArray(value) ? value : [value]).map(
      (item) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(item)}</saml:AttributeValue>`,
    );
    return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${values.join('')}</saml:Attribute>`;
  });
  return items.length ? `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>` : '';
}

function authnStatement(now: string): string {
  const context =
    '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>';
  return `<saml:AuthnStatement AuthnInstant="${now}" SessionIndex="_${randomBytes(8).toString('hex')}"><saml:AuthnContext>${context}</saml:AuthnContext></saml:AuthnStatement>`;
}

const newId = () => `_${randomBytes(16).toString('hex')}`;

function autoPostForm(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeXml(value)}">`);
  const form = `<form method="post" action="${escapeXml(action)}">${inputs.join('')}<noscript><button type="submit">Continue</button></noscript></form>`;
  return `<!doctype html><html><body onload="document.forms[0].submit()">${form}</body></html>`;
}

function identityProvider(entityId: string, ssoUrl: string, key: SelfSignedCertificate): IdentityProvider {
  return samlify.IdentityProvider({
    entityID: entityId,
    privateKey: key.privateKeyPem,
    signingCert: key.certificatePem,
    nameIDFormat: [PERSISTENT],
    singleSignOnService: [{ Binding: Constants.namespace.binding.redirect, Location: ssoUrl }],
  });
}

export async function startSamlIdp(user: SamlIdpUser): Promise<SamlIdp> {
  const [key, otherKey] = await Promise.all([selfSignedCertificate('saml-idp.test'), selfSignedCertificate('impostor-idp.test')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${base}/metadata`;
  const ssoUrl = `${base}/sso`;
  const idp = identityProvider(entityId, ssoUrl, key);
  // Another key under the same name: what an attacker who knows the IdP's entity id could sign with.
  const impostor = identityProvider(entityId, ssoUrl, otherKey);
  const trusted = new Map<string, { metadata: string; sp: ServiceProvider }>();

  const state: SamlIdp = {
    entityId,
    ssoUrl,
    certificatePem: key.certificatePem,
    user,
    shape: {},
    requests: [],
    trust(metadataXml) {
      const sp = samlify.ServiceProvider({ metadata: metadataXml });
      trusted.set(sp.entityMeta.getEntityID(), { metadata: metadataXml, sp });
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };

  /** samlify signs what the SP's metadata asks for; other signings come from an SP seen otherwise. */
  function signer(metadata: string, sp: ServiceProvider, signing: Signing): { from: IdentityProvider; to: ServiceProvider } | undefined {
    switch (signing) {
      case 'assertion':
        return { from: idp, to: sp };
      case 'other-key':
        return { from: impostor, to: sp };
      case 'response-and-assertion':
        return { from: idp, to: samlify.ServiceProvider({ metadata, wantMessageSigned: true }) };
      case 'response-only':
        return {
          from: idp,
          to: samlify.ServiceProvider({ metadata: metadata.replace(/WantAssertionsSigned="true"/, 'WantAssertionsSigned="false"') }),
        };
      case 'none':
        return undefined;
    }
  }

  async function respond(request: ReceivedRequest, metadata: string, sp: ServiceProvider): Promise<{ acs: string; samlResponse: string }> {
    const shape = state.shape;
    const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
    const now = new Date();
    const until = (shape.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const template = SamlLib.replaceTagsByValue(SamlLib.defaultLoginResponseTemplate.context, {
      ID: newId(),
      AssertionID: newId(),
      Destination: shape.destination ?? acs,
      Audience: shape.audience ?? sp.entityMeta.getEntityID(),
      SubjectRecipient: shape.recipient ?? acs,
      Issuer: shape.issuer ?? entityId,
      IssueInstant: now.toISOString(),
      StatusCode: shape.status ?? Constants.StatusCode.Success,
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: until,
      SubjectConfirmationDataNotOnOrAfter: until,
      NameIDFormat: PERSISTENT,
      NameID: state.user.nameId,
      InResponseTo: request.id,
    })
      .replace('{AuthnStatement}', authnStatement(now.toISOString()))
      .replace('{AttributeStatement}', attributeStatement(state.user.attributes));

    const signing = signer(metadata, sp, shape.signing ?? 'assertion');
    if (!signing) return { acs, samlResponse: Buffer.from(template).toString('base64') };
    const response = await signing.from.createLoginResponse(
      signing.to,
      { extract: { request: { id: request.id } } },
      'post',
      {},
      {
        customTagReplacement: () => ({ id: request.id, context: template }),
      },
    );
    return { acs, samlResponse: response.context };
  }

  async function sso(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const [anySp] = trusted.values();
    if (url.pathname !== '/sso' || !anySp || !query['SAMLRequest']) {
      res.writeHead(404).end('not found');
      return;
    }
    // Unsigned requests are not checked against their sender, so any trusted SP parses one.
    const parsed = await idp.parseLoginRequest(anySp.sp, 'redirect', { query });
    const extracted = parsed.extract as { issuer?: string; request?: { id?: string; assertionConsumerServiceUrl?: string } };
    const request: ReceivedRequest = {
      id: extracted.request?.id ?? '',
      issuer: extracted.issuer ?? '',
      assertionConsumerServiceUrl: extracted.request?.assertionConsumerServiceUrl,
      relayState: query['RelayState'],
    };
    state.requests.push(request);
    const sender = trusted.get(request.issuer);
    if (!sender) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`unknown service provider ${request.issuer}`);
      return;
    }
    const { acs, samlResponse } = await respond(request, sender.metadata, sender.sp);
    if (request.assertionConsumerServiceUrl !== undefined && request.assertionConsumerServiceUrl !== acs) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`the request's ACS ${request.assertionConsumerServiceUrl} is not in the metadata`);
      return;
    }
    const fields: Record<string, string> = {
      SAMLResponse: samlResponse,
      ...(request.relayState !== undefined ? { RelayState: request.relayState } : {}),
    };
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(autoPostForm(acs, fields));
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    sso(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`saml idp failed: ${(error as Error).message}`);
    });
  });
  return state;
}
