/**
 * On a single node a refresh token is kept in memory as it is written, and served from there
 * once: the refresh that rotates it runs one statement, the write that also consumes it. That
 * consume does not pass through the memo, so no copy may outlive a read: a spent token reads
 * as spent everywhere, and its reuse still revokes the grant.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { payloadStatementsDuring } from '../support/pg-statements.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

describe('refresh tokens on a single node', () => {
  let tessera: TestTessera;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(() => tessera?.stop());

  async function loggedIn() {
    const client = await createClient(tessera);
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    return { config, refreshToken: tokens.refresh_token ?? '' };
  }

  const active = async (config: oidc.Configuration, token: string) =>
    (await oidc.tokenIntrospection(config, token, { token_type_hint: 'refresh_token' })).active;

  it('are read from memory when this node wrote them: a refresh runs one statement', async () => {
    const { config, refreshToken } = await loggedIn();
    let rotated: string | undefined;
    const statements = await payloadStatementsDuring(async () => {
      rotated = (await oidc.refreshTokenGrant(config, refreshToken)).refresh_token;
    });
    expect(statements).toBe(1);
    expect(rotated).toEqual(expect.any(String));
    expect(await active(config, refreshToken)).toBe(false);
  });

  it('read as spent once used, whether the refresh read them from memory or from the store', async () => {
    const { config, refreshToken: first } = await loggedIn();
    const second = (await oidc.refreshTokenGrant(config, first)).refresh_token ?? '';
    expect(await active(config, first)).toBe(false);

    // Introspection takes the copy kept as written; the refresh then reads the token from the store.
    expect(await active(config, second)).toBe(true);
    const third = (await oidc.refreshTokenGrant(config, second)).refresh_token ?? '';
    expect(await active(config, second)).toBe(false);
    expect(await active(config, third)).toBe(true);

    await expect(oidc.refreshTokenGrant(config, second)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(config, third)).toBe(false);
    await expect(oidc.refreshTokenGrant(config, third)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
