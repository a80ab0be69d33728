import { describe, expect, it } from 'vitest';
import { appTypeOf } from '../../../server/clients/app-type.js';
import type { ClientView } from '../../../server/clients/client-schemas.js';
import {
  auth0Client,
  auth0CreateClientBody,
  auth0UpdateClientBody,
  changesOf,
  createInputOf,
} from '../../../trpc/api-v2/auth0-client-shape.js';

const VIEW: ClientView = {
  client_id: 'abc',
  name: 'Shop',
  redirect_uris: ['https://shop.example.com/cb'],
  post_logout_redirect_uris: ['https://shop.example.com/'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'ES256',
  is_first_party: true,
  require_pkce: true,
  management_scopes: [],
  connections: ['Username-Password'],
};

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } | undefined }) =>
  result.error?.issues.map((issue) => issue.path.join('.'));

describe('Auth0’s client shape', () => {
  describe('appTypeOf', () => {
    it('says non_interactive for client_credentials alone, spa for a public client, regular_web otherwise', () => {
      expect(appTypeOf({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' })).toBe('non_interactive');
      expect(appTypeOf({ grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' })).toBe('spa');
      expect(
        appTypeOf({ grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_post' }),
      ).toBe('regular_web');
    });
  });

  describe('auth0Client', () => {
    it('renames Tessera’s fields to Auth0’s and keeps Tessera’s own under their names', () => {
      expect(auth0Client({ ...VIEW, mfa_policy: 'always' })).toEqual({
        client_id: 'abc',
        name: 'Shop',
        app_type: 'regular_web',
        is_first_party: true,
        oidc_conformant: true,
        callbacks: ['https://shop.example.com/cb'],
        allowed_logout_urls: ['https://shop.example.com/'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        jwt_configuration: { alg: 'ES256' },
        require_pkce: true,
        management_scopes: [],
        mfa_policy: 'always',
        connections: ['Username-Password'],
      });
    });

    it('shows the secret only when the view holds one', () => {
      expect(auth0Client(VIEW)).not.toHaveProperty('client_secret');
      expect(auth0Client({ ...VIEW, client_secret: 's3cret' })).toMatchObject({ client_secret: 's3cret' });
    });
  });

  describe('createInputOf', () => {
    const parse = (body: unknown) => createInputOf(auth0CreateClientBody.parse(body));

    it('translates Auth0’s names into clients.create’s', () => {
      expect(
        parse({
          name: 'Shop',
          callbacks: ['https://shop.example.com/cb'],
          allowed_logout_urls: ['https://shop.example.com/'],
          jwt_configuration: { alg: 'HS256' },
          is_first_party: false,
          oidc_conformant: true,
          connections: ['Staff'],
          description: '',
        }),
      ).toEqual({
        name: 'Shop',
        description: '',
        redirect_uris: ['https://shop.example.com/cb'],
        post_logout_redirect_uris: ['https://shop.example.com/'],
        id_token_signed_response_alg: 'HS256',
        is_first_party: false,
        connections: ['Staff'],
      });
    });

    it('gives what an app_type stands for where the body is silent, and keeps what it says', () => {
      const callbacks = ['https://app.example.com/cb'];
      expect(parse({ name: 'a', app_type: 'spa', callbacks })).toMatchObject({
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      });
      expect(parse({ name: 'a', app_type: 'native', callbacks, grant_types: ['authorization_code'] })).toMatchObject({
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
      });
      expect(parse({ name: 'a', app_type: 'non_interactive' })).toEqual({ name: 'a', grant_types: ['client_credentials'] });
      expect(parse({ name: 'a', app_type: 'regular_web', callbacks })).toEqual({ name: 'a', redirect_uris: callbacks });
    });

    it('refuses keys it cannot honour and app_types contradicted by the body, naming the key', () => {
      const refused = (body: unknown) => issuesOf(auth0CreateClientBody.safeParse(body));
      expect(auth0CreateClientBody.safeParse({ name: 'a', app_type: 'non_interactive', logo_uri: 'x' }).error?.message).toContain(
        'logo_uri',
      );
      expect(
        refused({ name: 'a', app_type: 'spa', callbacks: ['https://a.example.com'], token_endpoint_auth_method: 'client_secret_basic' }),
      ).toEqual(['token_endpoint_auth_method']);
      expect(refused({ name: 'a', app_type: 'spa', callbacks: ['https://a.example.com'], grant_types: ['client_credentials'] })).toEqual([
        'grant_types',
      ]);
      expect(refused({ name: 'a', app_type: 'non_interactive', token_endpoint_auth_method: 'none' })).toEqual([
        'token_endpoint_auth_method',
      ]);
      expect(refused({ name: 'a', app_type: 'regular_web', grant_types: ['client_credentials'] })).toEqual(['grant_types']);
      expect(refused({ name: 'a' })).toEqual(['callbacks']);
      expect(refused({ name: 'a', oidc_conformant: false, app_type: 'non_interactive' })).toEqual(['oidc_conformant']);
    });
  });

  describe('changesOf', () => {
    const parse = (body: unknown) => changesOf(auth0UpdateClientBody.parse(body));

    it('passes only the fields given, nulls included', () => {
      expect(parse({ callbacks: ['https://b.example.com/cb'], mfa_policy: null })).toEqual({
        redirect_uris: ['https://b.example.com/cb'],
        mfa_policy: null,
      });
      expect(parse({})).toEqual({});
    });

    it('makes an existing client public for spa without touching its grants, and a machine for non_interactive', () => {
      expect(parse({ app_type: 'spa' })).toEqual({ token_endpoint_auth_method: 'none' });
      expect(parse({ app_type: 'non_interactive' })).toEqual({ grant_types: ['client_credentials'] });
    });

    it('refuses regular_web without the secret method to use', () => {
      expect(issuesOf(auth0UpdateClientBody.safeParse({ app_type: 'regular_web' }))).toEqual(['token_endpoint_auth_method']);
      expect(parse({ app_type: 'regular_web', token_endpoint_auth_method: 'client_secret_post' })).toEqual({
        token_endpoint_auth_method: 'client_secret_post',
      });
    });
  });
});
