/**
 * Tessera's oidc-provider carries `patches/oidc-provider+9.13.3.patch` (patches/README.md): the
 * checks behind userinfo build their InvalidToken only when they throw it, and introspection
 * and revocation try to read a token's JOSE header only when it has a JWT's shape, where the
 * release builds an error each time a check passes (each capturing a stack). The answers must
 * not change.
 */
import { errors } from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { errorsBuilt } from '../support/errors-built.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
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

  it('still refuse to introspect or revoke a JWT access token, and take any other shape for an opaque token', async () => {
    const admin = await adminClient(tessera.issuer);
    const machine = await admin.clients.create.mutate({ name: 'Patched checks', grant_types: ['client_credentials'] });
    const identifier = 'https://patched-checks.example.com/';
    await admin.resourceServers.create.mutate({
      identifier,
      name: 'Patched checks',
      scopes: [{ value: 'read:things' }],
      client_grants: [{ client_id: machine.client_id, scope: ['read:things'] }],
    });
    const credentials = { clientId: machine.client_id, clientSecret: machine.client_secret! };
    const config = await discover(tessera.issuer, credentials.clientId, credentials.clientSecret);
    const { access_token: jwt } = await oidc.clientCredentialsGrant(config, { resource: identifier });
    expect(jwt.split('.')).toHaveLength(3);

    const post = (endpoint: string, token: string) =>
      fetch(`${tessera.url}/token/${endpoint}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(credentials),
        },
        body: new URLSearchParams({ token }),
      });
    for (const endpoint of ['introspection', 'revocation']) {
      const refused = await post(endpoint, jwt);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'unsupported_token_type' });
    }
    for (const opaque of ['no-dots-at-all', 'two.segments', 'three.not-base64!.segments', 'f.o.u.r']) {
      const answer = await post('introspection', opaque);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ active: false });
    }
  });
});
