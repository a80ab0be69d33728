import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../support/fixtures.js';
import { adminClient, clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type Admin = Awaited<ReturnType<typeof adminClient>>;
type Jwks = { keys: Array<Record<string, unknown> & { kid: string }> };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('keys.* over a real @trpc/client', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Admin;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    user = await createUser(tessera);
  });
  afterAll(() => tessera?.stop());

  const publishedJwks = async () => (await (await fetch(`${tessera.issuer}/jwks`)).json()) as Jwks;

  /** An ID token from a login through the HTML form, for a client created over the API. */
  async function idToken(alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256') {
    const client = await admin.clients.create.mutate({
      name: `Signed ${alg}`,
      redirect_uris: [REDIRECT_URI],
      id_token_signed_response_alg: alg,
    });
    const config = await discover(tessera.issuer, client.client_id, client.client_secret, { id_token_signed_response_alg: alg });
    const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    return tokens.id_token!;
  }

  async function verifies(token: string, audience?: string) {
    const { protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`)), {
      issuer: tessera.issuer,
      ...(audience ? { audience } : {}),
    });
    return protectedHeader.kid;
  }

  it('list shows the published keys with their public members only, one current key per algorithm', async () => {
    const keys = await admin.keys.list.query();
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) {
      expect(key).toMatchObject({ kid: expect.any(String), use: 'sig', current: true });
      expect(Date.parse(key.created_at)).not.toBeNaN();
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    expect(keys.find((key) => key.alg === 'RS256')).toMatchObject({ kty: 'RSA', n: expect.any(String), e: 'AQAB' });
    expect(keys.find((key) => key.alg === 'ES256')).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
    });
    expect(keys.find((key) => key.alg === 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) });
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set((await publishedJwks()).keys.map((key) => key.kid)));
  });

  it('rotate signs with new keys from then on, while every token issued before still verifies', async () => {
    const before = await admin.keys.list.query();
    const oldIdToken = await idToken();
    const oldAccessToken = await clientCredentialsToken(tessera.issuer);
    const oldRs256 = before.find((key) => key.alg === 'RS256')!.kid;
    expect(decodeProtectedHeader(oldIdToken).kid).toBe(oldRs256);

    const rotated = await admin.keys.rotate.mutate();
    expect(rotated.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    expect(rotated.every((key) => key.current && !before.some((old) => old.kid === key.kid))).toBe(true);
    for (const key of rotated) for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);

    const after = await admin.keys.list.query();
    expect(after).toHaveLength(6);
    expect(
      after
        .filter((key) => key.current)
        .map((key) => key.kid)
        .sort(),
    ).toEqual(rotated.map((key) => key.kid).sort());
    expect(new Set((await publishedJwks()).keys.map((key) => key.kid))).toEqual(new Set(after.map((key) => key.kid)));

    // Issued before the rotation: still verifiable against the JWKS, and still accepted by the API.
    expect(await verifies(oldIdToken)).toBe(oldRs256);
    expect(await verifies(oldAccessToken, `${tessera.issuer}/api/v2/`)).toBe(oldRs256);
    expect(await managementClient(tessera.issuer, oldAccessToken).keys.list.query()).toEqual(after);

    // Issued after it: signed with the new keys.
    const newRs256 = rotated.find((key) => key.alg === 'RS256')!.kid;
    const newEs256 = rotated.find((key) => key.alg === 'ES256')!.kid;
    expect(await verifies(await idToken())).toBe(newRs256);
    expect(await verifies(await idToken('ES256'))).toBe(newEs256);
    expect(await verifies(await idToken('EdDSA'))).toBe(rotated.find((key) => key.alg === 'EdDSA')!.kid);
    expect(await verifies(await clientCredentialsToken(tessera.issuer), `${tessera.issuer}/api/v2/`)).toBe(newRs256);
  });

  it('discovery lists every algorithm a key is published for among the ID token signing algorithms', async () => {
    const discovery = (await (await fetch(`${tessera.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery['id_token_signing_alg_values_supported']).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
  });

  it('answers a missing token with UNAUTHORIZED', async () => {
    expect((await errorOf(managementClient(tessera.issuer, undefined).keys.list.query())).code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['list', 'read:signing_keys', (c: Admin) => c.keys.list.query()],
    ['rotate', 'create:signing_keys', (c: Admin) => c.keys.rotate.mutate()],
  ])('refuses keys.%s without %s with FORBIDDEN naming the scope', async (_name, scope, call) => {
    const limited = await adminClient(tessera.issuer, 'read:users');
    const error = await errorOf(call(limited));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain(scope);
  });
});
