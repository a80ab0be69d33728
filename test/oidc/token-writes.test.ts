/**
 * The token endpoint acknowledges the new tokens' writes early and commits them together; its
 * answer must still carry only tokens PostgreSQL holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { whilePayloadInsertsFail } from '../support/pg-statements.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera, type TestTessera } from '../support/tessera.js';
import { refresh } from '../support/token-requests.js';

describe('the token endpoint with the new tokens written together', () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera();
  }, 60_000);

  afterAll(async () => {
    await tessera?.stop();
  });

  const loggedIn = async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    return { client, refreshToken: tokens.refresh_token ?? '' };
  };

  it('answers 503 temporarily_unavailable with no token when the new tokens cannot be written', async () => {
    const { client, refreshToken } = await loggedIn();
    const refused = await whilePayloadInsertsFail(() => refresh(tessera.url, client, refreshToken));
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('temporarily_unavailable');
    expect(refused.retryAfter).toBeTruthy();
    expect(refused.body).not.toHaveProperty('access_token');
    expect(refused.body).not.toHaveProperty('refresh_token');
  });

  it('spends nothing when the new tokens cannot be written: the same refresh token refreshes once the store is back', async () => {
    const { client, refreshToken } = await loggedIn();
    expect((await whilePayloadInsertsFail(() => refresh(tessera.url, client, refreshToken))).status).toBe(503);
    const retried = await refresh(tessera.url, client, refreshToken);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toEqual(expect.any(String));
  });

  it('hands out only tokens that work: the rotated refresh token refreshes again, and its access token reads userinfo', async () => {
    const { client, refreshToken } = await loggedIn();
    const first = await refresh(tessera.url, client, refreshToken);
    expect(first.status).toBe(200);
    const second = await refresh(tessera.url, client, first.body.refresh_token ?? '');
    expect(second.status).toBe(200);
    const userinfo = await fetch(`${tessera.url}/userinfo`, { headers: { authorization: `Bearer ${second.body.access_token}` } });
    expect(userinfo.status).toBe(200);
  });
});
