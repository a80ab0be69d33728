import { X509Certificate } from 'node:crypto';
import samlify from 'samlify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../support/fixtures.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { certificateFromMetadata, SP_ACS_URL, SP_ENTITY_ID } from '../support/saml-sp.js';
import { startTestTessera } from '../support/tessera.js';

const ADDON = { audience: SP_ENTITY_ID, acs_url: SP_ACS_URL };

describe('the SAML add-on of a client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;

  const metadataUrl = (clientId: string) => `${tessera.issuer}/samlp/metadata/${clientId}`;
  const create = (addon: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    admin.clients.create.mutate({ name: 'SAML App', saml_addon: addon as never, ...extra });

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
  });
  afterAll(() => tessera?.stop());

  describe('through clients.*', () => {
    it('is stored with its defaults and returned by create, get and list, without the SAML callback among redirect_uris', async () => {
      const created = await create(ADDON, { redirect_uris: ['https://app.example/oidc'] });
      const expected = { ...ADDON, mappings: {}, name_id_attribute: 'user_id', signature_algorithm: 'rsa-sha256', lifetime_seconds: 3600 };
      expect(created.saml_addon).toEqual(expected);
      expect(created.redirect_uris).toEqual(['https://app.example/oidc']);
      const fetched = await admin.clients.get.query({ client_id: created.client_id });
      expect(fetched.saml_addon).toEqual(expected);
      expect(fetched.redirect_uris).toEqual(['https://app.example/oidc']);
      const listed = (await admin.clients.list.query({ per_page: 100 })).clients.find((client) => client.client_id === created.client_id);
      expect(listed?.saml_addon).toEqual(expected);
    });

    it('needs no redirect URI of its own: a SAML-only client is valid', async () => {
      const created = await create(ADDON);
      expect(created.redirect_uris).toEqual([]);
      expect((await fetch(metadataUrl(created.client_id))).status).toBe(200);
    });

    it('is absent from clients that do not have it', async () => {
      const plain = await admin.clients.create.mutate({ name: 'Plain', redirect_uris: ['https://plain.example/cb'] });
      expect(plain).not.toHaveProperty('saml_addon');
      expect(await admin.clients.get.query({ client_id: plain.client_id })).not.toHaveProperty('saml_addon');
    });

    it('is changed by update, kept by an update that does not name it, and removed by saml_addon: null', async () => {
      const created = await create({ ...ADDON, mappings: { email: 'mail' } }, { redirect_uris: ['https://app.example/oidc'] });
      const changed = await admin.clients.update.mutate({
        client_id: created.client_id,
        saml_addon: { ...ADDON, acs_url: 'https://sp.example.test/new-acs' },
      });
      expect(changed.saml_addon).toMatchObject({ acs_url: 'https://sp.example.test/new-acs', mappings: {} });
      const renamed = await admin.clients.update.mutate({ client_id: created.client_id, name: 'Renamed' });
      expect(renamed.saml_addon?.acs_url).toBe('https://sp.example.test/new-acs');

      const off = await admin.clients.update.mutate({ client_id: created.client_id, saml_addon: null });
      expect(off).not.toHaveProperty('saml_addon');
      expect(await admin.clients.get.query({ client_id: created.client_id })).not.toHaveProperty('saml_addon');
      expect((await fetch(metadataUrl(created.client_id))).status).toBe(404);
    });

    it('cannot be removed from a SAML-only client, which would be left with no redirect URI', async () => {
      const created = await create(ADDON);
      expect(await errorOf(admin.clients.update.mutate({ client_id: created.client_id, saml_addon: null }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'redirect_uris',
        message: 'redirect_uris must contain members',
      });
    });

    it.each([
      ['an unknown key', { ...ADDON, recipient: 'https://sp.example.test/acs' }],
      ['an ACS that is not an http(s) URL', { ...ADDON, acs_url: 'javascript:alert(1)' }],
      ['a mapping from something that is not a profile attribute', { ...ADDON, mappings: { password: 'pwd' } }],
      ['a mapping from a nested metadata key', { ...ADDON, mappings: { 'app_metadata.a.b': 'ab' } }],
      ["a mapping from an operator's management_scopes", { ...ADDON, mappings: { management_scopes: 'roles' } }],
      ['two profile attributes mapped to one SAML attribute', { ...ADDON, mappings: { email: 'id', user_id: 'id' } }],
      ['an attribute name with a space', { ...ADDON, mappings: { email: 'e mail' } }],
      ['SHA-1 signatures', { ...ADDON, signature_algorithm: 'rsa-sha1' }],
      ['a lifetime over a day', { ...ADDON, lifetime_seconds: 86_401 }],
      ['no audience', { acs_url: SP_ACS_URL }],
    ])('refuses %s as BAD_REQUEST', async (_what, addon) => {
      expect(await errorOf(create(addon))).toMatchObject({ code: 'BAD_REQUEST' });
    });

    it('refuses the add-on on a client without the authorization_code grant, naming saml_addon', async () => {
      const error = await errorOf(create(ADDON, { grant_types: ['client_credentials'] }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'saml_addon' });
      expect(error.message).toBe('saml_addon needs the authorization_code grant');
    });

    it('is checked by the provider too, for clients saved by other means than the API', async () => {
      await expect(createClient(tessera, { saml_addon: { ...ADDON, acs_url: 'not a url' } })).rejects.toMatchObject({
        code: 'client.invalid',
        field: 'saml_addon',
        message: expect.stringMatching(/^saml_addon\.acs_url /),
      });
    });
  });

  describe('the identity provider metadata', () => {
    it('names the entity id, the SSO URL for both bindings, the NameID format, the mapped attributes and the signing certificate', async () => {
      const created = await create({
        ...ADDON,
        name_id_attribute: 'email',
        mappings: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', name: 'displayName' },
      });
      const response = await fetch(metadataUrl(created.client_id));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
      const xml = await response.text();
      // Read as a service provider's library reads it.
      const metadata = samlify.IdPMetadata(xml);
      expect(metadata.getEntityID()).toBe(`urn:tessera:${new URL(tessera.issuer).host}`);
      expect(metadata.getSingleSignOnService('redirect')).toBe(`${tessera.issuer}/samlp/${created.client_id}`);
      expect(metadata.getSingleSignOnService('post')).toBe(`${tessera.issuer}/samlp/${created.client_id}`);
      expect(metadata.isWantAuthnRequestsSigned()).toBe(false);
      expect(metadata.getNameIDFormat()).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
      expect(xml).toContain(
        '<saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"/>',
      );
      expect(xml).toContain('<saml:Attribute Name="displayName" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"/>');

      const certificate = new X509Certificate(certificateFromMetadata(xml));
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(certificate.subject).toBe(`CN=${new URL(tessera.issuer).host}`);
      expect(certificate.publicKey.asymmetricKeyType).toBe('rsa');
      expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now() + 10 * 365 * 24 * 3600 * 1000);
    });

    it('is not found for an unknown client', async () => {
      const response = await fetch(metadataUrl('no-such-client'));
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('There is no application with client_id &quot;no-such-client&quot;.');
    });

    it('publishes one certificate for every client, kept across a restart', async () => {
      const [first, second] = await Promise.all([create(ADDON), create(ADDON)]);
      const certificateOf = async (issuer: string, clientId: string) =>
        certificateFromMetadata(await (await fetch(`${issuer}/samlp/metadata/${clientId}`)).text());
      const before = await certificateOf(tessera.issuer, first.client_id);
      expect(await certificateOf(tessera.issuer, second.client_id)).toBe(before);

      const { databaseUrl } = tessera;
      await tessera.stop();
      tessera = await startTestTessera({ databaseUrl });
      expect(await certificateOf(tessera.issuer, first.client_id)).toBe(before);
    });
  });
});
