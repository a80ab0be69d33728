import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../support/fixtures.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

describe('client secret guessing at /token', () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => tessera?.stop());

  async function machineClient() {
    return createClient(tessera, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
  }

  /** A client_credentials request from `ip`, the secret in the Authorization header or, with `post`, in the body. */
  async function token(clientId: string, secret: string, ip: string, post = false) {
    const response = await fetch(`${tessera.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': ip,
        ...(post ? {} : { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(post ? { client_id: clientId, client_secret: secret } : {}) }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, string>,
    };
  }

  it('answers 429 invalid_client with Retry-After from the 11th wrong secret of 20, and to the right secret from that IP', async () => {
    const client = await machineClient();
    const answers = [];
    for (let attempt = 1; attempt <= 20; attempt += 1) answers.push(await token(client.client_id, `guess-${attempt}`, '203.0.113.10'));
    expect(answers.map((answer) => answer.status)).toEqual([...Array<number>(10).fill(401), ...Array<number>(10).fill(429)]);
    expect(answers[10]!.body['error']).toBe('invalid_client');
    expect(answers[10]!.body['error_description']).toContain('too many failed client authentications');
    expect(Number(answers[10]!.retryAfter)).toBeGreaterThan(0);

    const right = await token(client.client_id, client.client_secret, '203.0.113.10');
    expect(right.status).toBe(429);
    expect(right.body).not.toHaveProperty('access_token');
  });

  it('counts secrets sent in the body as well', async () => {
    const client = await machineClient();
    const statuses = [];
    for (let attempt = 1; attempt <= 11; attempt += 1)
      statuses.push((await token(client.client_id, `guess-${attempt}`, '203.0.113.11', true)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
    expect((await token(client.client_id, client.client_secret, '203.0.113.11', true)).status).toBe(429);
  });

  it('leaves the client free from other IPs, and other clients from that IP', async () => {
    const [target, other] = [await machineClient(), await machineClient()];
    for (let attempt = 1; attempt <= 11; attempt += 1) await token(target.client_id, `guess-${attempt}`, '203.0.113.12');
    expect((await token(target.client_id, target.client_secret, '203.0.113.12')).status).toBe(429);

    const elsewhere = await token(target.client_id, target.client_secret, '198.51.100.12');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body['access_token']).toEqual(expect.any(String));
    expect((await token(other.client_id, other.client_secret, '203.0.113.12')).status).toBe(200);
  });

  it('starts the count again after a right secret', async () => {
    const client = await machineClient();
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await token(client.client_id, 'wrong', '203.0.113.13')).status).toBe(401);
    expect((await token(client.client_id, client.client_secret, '203.0.113.13')).status).toBe(200);
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await token(client.client_id, 'wrong', '203.0.113.13')).status).toBe(401);
  });
});
