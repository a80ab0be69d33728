import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { createClient } from '../support/fixtures.js';
import { ADMIN, startTestTessera } from '../support/tessera.js';

async function tokenRequest(issuer: string, body: Record<string, string>, credentials = ADMIN) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(credentials),
    },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('client_credentials for the management API', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  const audience = () => `${tessera.issuer}/api/v2/`;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(() => tessera?.stop());

  it('issues a JWT for $ISSUER/api/v2/ with every allowed scope when no scope is asked', async () => {
    const { status, body } = await tokenRequest(tessera.issuer, { grant_type: 'client_credentials' });
    expect(status).toBe(200);
    expect(body['token_type']).toBe('Bearer');
    const jwks = createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(String(body['access_token']), jwks, {
      issuer: tessera.issuer,
      audience: audience(),
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload['client_id']).toBe(ADMIN.clientId);
    expect(String(payload['scope']).split(' ').sort()).toEqual([...MANAGEMENT_SCOPES].sort());
  });

  it('grants only the requested scopes when scope is given', async () => {
    const { body } = await tokenRequest(tessera.issuer, {
      grant_type: 'client_credentials',
      scope: 'read:users update:users',
      resource: audience(),
    });
    expect(body['scope']).toBe('read:users update:users');
  });

  it('is accepted with client_secret_post as well as HTTP Basic', async () => {
    const response = await fetch(`${tessera.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ADMIN.clientId, client_secret: ADMIN.clientSecret }),
    });
    expect(response.status).toBe(200);
  });

  it('refuses an unknown resource with invalid_target', async () => {
    const { status, body } = await tokenRequest(tessera.issuer, {
      grant_type: 'client_credentials',
      resource: 'https://elsewhere.example/api',
    });
    expect(status).toBe(400);
    expect(body['error']).toBe('invalid_target');
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const { status, body } = await tokenRequest(
      tessera.issuer,
      { grant_type: 'client_credentials' },
      { clientId: ADMIN.clientId, clientSecret: 'wrong' },
    );
    expect(status).toBe(401);
    expect(body['error']).toBe('invalid_client');
  });

  it('refuses client_credentials to a client not registered for it', async () => {
    const web = await createClient(tessera);
    const { status, body } = await tokenRequest(
      tessera.issuer,
      { grant_type: 'client_credentials' },
      { clientId: web.client_id, clientSecret: web.client_secret },
    );
    // oidc-provider (OpenID certified) answers invalid_request here, naming the grant type.
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/grant type/) });
  });

  it('gives no management token to a client stored without a secret, on its client_id alone', async () => {
    // clients.* refuses this combination; a client stored by other means, or before that, must not pay for it.
    const open = await createClient(tessera, {
      client_secret: undefined,
      token_endpoint_auth_method: 'none',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      management_scopes: [...MANAGEMENT_SCOPES],
    });
    const response = await fetch(`${tessera.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: open.client_id }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ error: 'unauthorized_client' });
    expect(body).not.toHaveProperty('access_token');
  });
});
