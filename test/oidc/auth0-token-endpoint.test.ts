import { gzipSync } from 'node:zlib';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { createClient } from '../support/fixtures.js';
import { ADMIN, startTestTessera } from '../support/tessera.js';

describe('/oauth/token, Auth0’s token endpoint path', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  const audience = () => `${tessera.issuer}/api/v2/`;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(() => tessera?.stop());

  const post = async (body: string, contentType: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${tessera.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const postJson = (body: Record<string, unknown>) => post(JSON.stringify(body), 'application/json');
  const postForm = (body: Record<string, string>) => post(new URLSearchParams(body).toString(), 'application/x-www-form-urlencoded');

  const verified = async (token: unknown) => {
    const jwks = createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`));
    return (await jwtVerify(String(token), jwks, { issuer: tessera.issuer, audience: audience(), typ: 'at+jwt' })).payload;
  };

  it('answers the ManagementClient’s request (a form with audience and client_secret_post) with a management token', async () => {
    const { status, body } = await postForm({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: audience(),
    });
    expect(status).toBe(200);
    expect(body['token_type']).toBe('Bearer');
    expect(body['expires_in']).toBeGreaterThan(0);
    const payload = await verified(body['access_token']);
    expect(payload['client_id']).toBe(ADMIN.clientId);
    expect(payload['gty']).toBe('client-credentials');
    expect(String(payload['scope']).split(' ').sort()).toEqual([...MANAGEMENT_SCOPES].sort());
  });

  it('reads a JSON body, as Auth0 does, and grants only the scopes asked for', async () => {
    const { status, body } = await postJson({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: audience(),
      scope: 'read:users',
    });
    expect(status).toBe(200);
    expect(body['scope']).toBe('read:users');
    expect((await verified(body['access_token']))['scope']).toBe('read:users');
  });

  it('takes the client’s credentials in HTTP Basic too, with the body as JSON', async () => {
    const { status } = await post(JSON.stringify({ grant_type: 'client_credentials', audience: audience() }), 'application/json', {
      authorization: basicAuthorization(ADMIN),
    });
    expect(status).toBe(200);
  });

  it('reads a compressed body, handing oidc-provider the decoded one', async () => {
    const body = gzipSync(
      JSON.stringify({ grant_type: 'client_credentials', client_id: ADMIN.clientId, client_secret: ADMIN.clientSecret }),
    );
    const response = await fetch(`${tessera.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(response.status).toBe(200);
  });

  it('answers other methods as /token answers them', async () => {
    for (const method of ['GET', 'PUT']) {
      const alias = await fetch(`${tessera.issuer}/oauth/token`, { method });
      const token = await fetch(`${tessera.issuer}/token`, { method });
      expect(alias.status).toBeLessThan(500);
      expect(alias.status).toBe(token.status);
      expect(await alias.text()).toBe(await token.text());
    }
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const { status, body } = await postJson({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: 'not-the-secret',
      audience: audience(),
    });
    expect(status).toBe(401);
    expect(body['error']).toBe('invalid_client');
    expect(body).not.toHaveProperty('access_token');
  });

  it('refuses an audience no API has with invalid_target', async () => {
    const { status, body } = await postJson({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: 'https://elsewhere.example/api/v2/',
    });
    expect(status).toBe(400);
    expect(body['error']).toBe('invalid_target');
  });

  it('gives a client no management scope it was not allowed', async () => {
    const machine = await createClient(tessera, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      management_scopes: ['read:clients'],
    });
    const { status, body } = await postJson({
      grant_type: 'client_credentials',
      client_id: machine.client_id,
      client_secret: String(machine.client_secret),
      audience: audience(),
      scope: 'read:clients read:users',
    });
    expect(status).toBe(200);
    expect((await verified(body['access_token']))['scope']).toBe('read:clients');
  });

  it('refuses audience and resource together, and a repeated audience, with invalid_request', async () => {
    const both = await postForm({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: audience(),
      resource: audience(),
    });
    expect(both.status).toBe(400);
    expect(both.body['error']).toBe('invalid_request');
    const twice = await post(
      `grant_type=client_credentials&audience=${encodeURIComponent(audience())}&audience=${encodeURIComponent(audience())}`,
      'application/x-www-form-urlencoded',
    );
    expect(twice.status).toBe(400);
    expect(twice.body['error']).toBe('invalid_request');
  });

  it('refuses a body it cannot read with invalid_request, never a 500', async () => {
    for (const [body, contentType] of [
      ['{"grant_type":', 'application/json'],
      ['["client_credentials"]', 'application/json'],
      ['{"grant_type":"client_credentials","scope":["read:users"]}', 'application/json'],
      ['<token/>', 'application/xml'],
      [JSON.stringify({ grant_type: 'client_credentials', padding: 'x'.repeat(60_000) }), 'application/json'],
    ] as const) {
      const answer = await post(body, contentType);
      expect(answer.status).toBe(400);
      expect(answer.body['error']).toBe('invalid_request');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });
});
