import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../support/fixtures.js';
import { adminClient, clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type Admin = Awaited<ReturnType<typeof adminClient>>;

describe('access tokens for registered APIs, signed with each API’s signing_alg', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Admin;
  let machine: { client_id: string; client_secret: string };
  let other: { client_id: string; client_secret: string };
  let counter = 0;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    const create = async (name: string) => {
      const client = await admin.clients.create.mutate({ name, grant_types: ['client_credentials'] });
      return { client_id: client.client_id, client_secret: client.client_secret! };
    };
    machine = await create('Machine');
    other = await create('Ungranted machine');
  });
  afterAll(() => tessera?.stop());

  /** A new API whose grant gives `machine` its read scope. */
  async function registerApi(settings: { signing_alg?: 'RS256' | 'ES256' | 'EdDSA' } = {}) {
    counter += 1;
    return admin.resourceServers.create.mutate({
      identifier: `https://api-${counter}.example.com/`,
      name: `API ${counter}`,
      scopes: [{ value: 'read:things', description: 'Read things' }, { value: 'write:things' }],
      client_grants: [{ client_id: machine.client_id, scope: ['read:things'] }],
      ...settings,
    });
  }

  async function machineConfig(client = machine) {
    return discover(tessera.issuer, client.client_id, client.client_secret);
  }

  /** Verified with openid-client's token request and jose against the published JWKS, for this algorithm only. */
  async function verifiedToken(identifier: string, alg: string) {
    const tokens = await oidc.clientCredentialsGrant(await machineConfig(), { resource: identifier });
    const jwks = createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: tessera.issuer,
      audience: identifier,
      typ: 'at+jwt',
      algorithms: [alg],
    });
    return { payload, protectedHeader, tokens };
  }

  const currentKid = async (alg: string) => (await admin.keys.list.query()).find((key) => key.alg === alg && key.current)!.kid;

  it.each(['ES256', 'EdDSA'] as const)(
    'signs a token for an %s API with the current key of that algorithm in the published JWKS',
    async (alg) => {
      const api = await registerApi({ signing_alg: alg });
      const { payload, protectedHeader, tokens } = await verifiedToken(api.identifier, alg);
      expect(protectedHeader.kid).toBe(await currentKid(alg));
      expect(payload['client_id']).toBe(machine.client_id);
      expect(payload['gty']).toBe('client-credentials');
      expect(payload['scope']).toBe('read:things');
      expect(tokens.expires_in).toBe(api.token_lifetime);
    },
  );

  it('signs with RS256 when the API names no signing_alg, and the management API stays RS256 by default', async () => {
    const api = await registerApi();
    expect(api).toMatchObject({ signing_alg: 'RS256', token_lifetime: 86_400, is_system: false });
    const { protectedHeader } = await verifiedToken(api.identifier, 'RS256');
    expect(protectedHeader.kid).toBe(await currentKid('RS256'));
    expect(decodeProtectedHeader(await clientCredentialsToken(tessera.issuer)).alg).toBe('RS256');
  });

  it('gives only the granted scopes, whatever else the client asks for', async () => {
    const api = await registerApi();
    const tokens = await oidc.clientCredentialsGrant(await machineConfig(), {
      resource: api.identifier,
      scope: 'read:things write:things',
    });
    expect(tokens.scope).toBe('read:things');
  });

  it('refuses a client without a grant for the API with invalid_target', async () => {
    const api = await registerApi({ signing_alg: 'ES256' });
    const refusal = await oidc
      .clientCredentialsGrant(await machineConfig(other), { resource: api.identifier })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(oidc.ResponseBodyError);
    expect((refusal as oidc.ResponseBodyError).error).toBe('invalid_target');
  });

  it('refuses a resource no API is registered for with invalid_target', async () => {
    const refusal = await oidc
      .clientCredentialsGrant(await machineConfig(), { resource: 'https://unregistered.example.com/' })
      .catch((error: unknown) => error);
    expect((refusal as oidc.ResponseBodyError).error).toBe('invalid_target');
  });

  it('stops issuing tokens for a deleted API', async () => {
    const api = await registerApi();
    await verifiedToken(api.identifier, 'RS256');
    expect(await admin.resourceServers.delete.mutate({ id: api.id })).toEqual({ deleted: true });
    const refusal = await oidc.clientCredentialsGrant(await machineConfig(), { resource: api.identifier }).catch((error: unknown) => error);
    expect((refusal as oidc.ResponseBodyError).error).toBe('invalid_target');
  });

  it("gives a user's token for a custom API the scopes it asked for, signed with the API's algorithm", async () => {
    const api = await registerApi({ signing_alg: 'EdDSA' });
    const web = await admin.clients.create.mutate({ name: 'Web', redirect_uris: [REDIRECT_URI] });
    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, web.client_id, web.client_secret);
    const { tokens } = await login(config, {
      scope: 'openid read:things',
      username: user.email,
      password: user.password,
      extraParams: { resource: api.identifier },
    });
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`)), {
      issuer: tessera.issuer,
      audience: api.identifier,
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader.kid).toBe(await currentKid('EdDSA'));
    expect(payload.sub).toBe(user.profile.user_id);
    expect(payload['scope']).toBe('read:things');
  });

  it('lists the management API as a built-in entry that cannot be deleted', async () => {
    const { resource_servers: all } = await admin.resourceServers.list.query();
    const builtIn = all.find((api) => api.is_system)!;
    expect(builtIn).toMatchObject({ identifier: `${tessera.issuer}/api/v2/`, signing_alg: 'RS256' });
    expect(builtIn.scopes.map((scope) => scope.value)).toContain('read:resource_servers');
    const refusal = await errorOf(admin.resourceServers.delete.mutate({ id: builtIn.id }));
    expect(refusal).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect((await admin.resourceServers.get.query({ id: builtIn.identifier })).id).toBe(builtIn.id);
  });

  it('signs the next management API token with the algorithm set on it, and the management API accepts it', async () => {
    const { resource_servers: all } = await admin.resourceServers.list.query();
    const builtIn = all.find((api) => api.is_system)!;
    try {
      for (const alg of ['ES256', 'EdDSA'] as const) {
        await admin.resourceServers.update.mutate({ id: builtIn.id, signing_alg: alg });
        const token = await clientCredentialsToken(tessera.issuer);
        expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: await currentKid(alg) });
        expect((await managementClient(tessera.issuer, token).resourceServers.get.query({ id: builtIn.id })).signing_alg).toBe(alg);
      }
    } finally {
      await admin.resourceServers.update.mutate({ id: builtIn.id, signing_alg: 'RS256' });
    }
  });
});
