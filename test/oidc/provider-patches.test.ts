/**
 * Tessera's oidc-provider carries `patches/oidc-provider+9.13.3.patch`: the checks behind
 * userinfo build their InvalidToken only when they throw it. As published, they build three per
 * request (each capturing a stack), a third of a userinfo's CPU; the answers must not change.
 */
import { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsBuilt } from '../support/errors-built.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

describe("oidc-provider's access token checks, as patched", () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera();
  }, 60_000);

  afterAll(async () => {
    await tessera?.stop();
  });

  const userinfo = (accessToken: string) => fetch(`${tessera.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

  it('answer userinfo for a good token without building an error', async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid email', username: user.email, password: user.password });

    let answer: Response | undefined;
    const built = await errorsBuilt(errors.InvalidToken, async () => {
      answer = await userinfo(tokens.access_token);
    });
    expect(answer?.status).toBe(200);
    expect(await answer?.json()).toMatchObject({ sub: user.profile.user_id, email: user.email });
    expect(built).toBe(0);
  });

  it('still refuse an unknown token with 401 invalid_token, building the error it throws', async () => {
    let answer: Response | undefined;
    const built = await errorsBuilt(errors.InvalidToken, async () => {
      answer = await userinfo('not-a-token-tessera-issued');
    });
    expect(answer?.status).toBe(401);
    expect(answer?.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await answer?.json()).toMatchObject({ error: 'invalid_token' });
    expect(built).toBe(1);
  });
});
