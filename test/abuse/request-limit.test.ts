import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../support/fixtures.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

describe('the management API request limit', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { MANAGEMENT_RATE_LIMIT: '5', MANAGEMENT_RATE_WINDOW_SECONDS: '3600' } });
  });
  afterAll(() => tessera?.stop());

  async function callerToken() {
    const client = await createClient(tessera, {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      management_scopes: ['read:users'],
    });
    return clientCredentialsToken(tessera.issuer, 'read:users', { clientId: client.client_id, clientSecret: client.client_secret });
  }

  it('answers TOO_MANY_REQUESTS (HTTP 429, Retry-After) past MANAGEMENT_RATE_LIMIT calls of one caller, and serves another caller', async () => {
    const [busy, other] = [await callerToken(), await callerToken()];
    const api = managementClient(tessera.issuer, busy);
    for (let call = 1; call <= 5; call += 1) await api.users.list.query({});
    expect(await errorOf(api.users.list.query({}))).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });

    const response = await fetch(`${tessera.issuer}/trpc/users.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${busy}` },
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);

    await expect(managementClient(tessera.issuer, other).users.list.query({})).resolves.toMatchObject({ users: expect.any(Array) });
  });
});
