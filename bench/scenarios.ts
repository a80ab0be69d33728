/**
 * The measured requests, each built for a given target from its clients and user tokens. Every
 * scenario runs against the bare provider and every Tessera target with the same load; append
 * new ones to SCENARIOS.
 */
import { MANAGEMENT_SCOPES } from '../server/oidc/management-api.js';
import { ES256_API_IDENTIFIER } from './es256-api.js';
import type { LoadRequest } from './load.js';
import type { UserTokens } from './login.js';
import { basicAuthorization, type Target } from './target.js';

export interface Scenario {
  readonly name: string;
  request(target: Target, tokens: UserTokens): LoadRequest;
}

const FORM = 'application/x-www-form-urlencoded';

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'discovery',
    request: (target) => ({ origin: target.issuer, method: 'GET', path: '/.well-known/openid-configuration', headers: {} }),
  },
  {
    name: 'jwks',
    request: (target) => ({ origin: target.issuer, method: 'GET', path: '/jwks', headers: {} }),
  },
  {
    name: 'client_credentials',
    request: (target) => ({
      origin: target.issuer,
      method: 'POST',
      path: '/token',
      headers: { 'content-type': FORM, authorization: basicAuthorization(target.machineClient) },
      // Scopes spelled out so both servers get the identical body and sign the same JWT: left
      // out, Tessera would fill in every allowed scope and the bare provider none.
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: MANAGEMENT_SCOPES.join(' ') }).toString(),
    }),
  },
  {
    // Hot: the same user's token every time, so Tessera's profile cache answers.
    name: 'userinfo (hot)',
    request: (target, tokens) => ({
      origin: target.issuer,
      method: 'GET',
      path: '/userinfo',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    }),
  },
  {
    // The web client asks about its own user's access token.
    name: 'introspection',
    request: (target, tokens) => ({
      origin: target.issuer,
      method: 'POST',
      path: '/token/introspection',
      headers: { 'content-type': FORM, authorization: basicAuthorization(target.webClient) },
      body: new URLSearchParams({ token: tokens.accessToken }).toString(),
    }),
  },
  {
    name: 'refresh_token',
    request: (target, tokens) => ({
      origin: target.issuer,
      method: 'POST',
      path: '/token',
      headers: { 'content-type': FORM, authorization: basicAuthorization(target.webClient) },
      rotatingRefreshTokens: tokens.refreshTokens,
    }),
  },
  {
    // Tessera asks for an API it signs with ES256 (bench/es256-api.ts); the bare provider makes its
    // RS256 client_credentials request, so the ratio is ES256 Tessera against the RS256 library.
    name: 'client_credentials (ES256)',
    request: (target) => ({
      origin: target.issuer,
      method: 'POST',
      path: '/token',
      headers: { 'content-type': FORM, authorization: basicAuthorization(target.machineClient) },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: MANAGEMENT_SCOPES.join(' '),
        ...(target.name === 'baseline' ? {} : { resource: ES256_API_IDENTIFIER }),
      }).toString(),
    }),
  },
];
