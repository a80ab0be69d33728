/**
 * The four shapes of a client derived from its one table of fields: settings read from stored
 * metadata, metadata written from settings, the API view and an update's result.
 */
import { describe, expect, it } from 'vitest';
import { applyChanges, clientView, settingsOf, toMetadata } from '../../../server/clients/client-fields.js';
import type { ClientSettings } from '../../../server/clients/client-schemas.js';

const addon = {
  audience: 'urn:sp',
  acs_url: 'https://sp.example/acs',
  mappings: {},
  name_id_attribute: 'user_id',
  signature_algorithm: 'rsa-sha256',
  lifetime_seconds: 3600,
} as const;

const settings: ClientSettings = {
  name: 'Web App',
  redirect_uris: ['https://app.example/cb'],
  post_logout_redirect_uris: [],
  grant_types: ['authorization_code', 'client_credentials'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: 'ES256',
  is_first_party: true,
  require_pkce: false,
  management_scopes: ['read:users'],
  saml_addon: addon,
};

describe('client fields', () => {
  it('reads metadata stored without the settings as the provider’s defaults, PKCE required and no add-on', () => {
    expect(settingsOf({ client_id: 'bare' })).toStrictEqual({
      name: 'bare',
      redirect_uris: [],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      is_first_party: false,
      require_pkce: true,
      management_scopes: [],
    });
  });

  it('writes settings under the provider’s names and reads them back unchanged', () => {
    const metadata = toMetadata('c1', settings, 'the-secret');
    expect(metadata).toStrictEqual({
      client_id: 'c1',
      client_secret: 'the-secret',
      client_name: 'Web App',
      redirect_uris: ['https://app.example/cb'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      is_first_party: true,
      require_pkce: false,
      management_scopes: ['read:users'],
      saml_addon: addon,
    });
    expect(settingsOf(metadata)).toStrictEqual(settings);
  });

  it('gives a client without the authorization_code grant no response type and leaves out an absent add-on', () => {
    const { saml_addon: _, ...machine } = { ...settings, grant_types: ['client_credentials'] };
    const metadata = toMetadata('m1', machine, undefined);
    expect(metadata.response_types).toEqual([]);
    expect(metadata).not.toHaveProperty('saml_addon');
    expect(metadata).not.toHaveProperty('client_secret');
  });

  it('shows every setting with the client id and connections, the secret only when given', () => {
    expect(clientView('c1', settings, ['db'])).toStrictEqual({ client_id: 'c1', ...settings, connections: ['db'] });
    expect(clientView('c1', settings, [], 's')).toMatchObject({ client_id: 'c1', client_secret: 's' });
  });

  it('replaces only the given fields, and turns the add-on off with null', () => {
    expect(applyChanges(settings, { name: 'Renamed', require_pkce: true })).toStrictEqual({
      ...settings,
      name: 'Renamed',
      require_pkce: true,
    });
    const { saml_addon: _, ...withoutAddon } = settings;
    expect(applyChanges(settings, { saml_addon: null })).toStrictEqual(withoutAddon);
    expect(applyChanges(withoutAddon, { saml_addon: addon })).toStrictEqual(settings);
  });
});
