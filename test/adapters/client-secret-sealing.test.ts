/**
 * Client secrets at rest: sealed in oidc_payloads with SEALING_KEY, opened for the provider,
 * and no key kept in the database. Clear rows from before sealing: test/server/sealing.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSecretSealingAdapter, openSecret, SEALED_PREFIX, sealSecret } from '../../adapters/oidc/client-secret-sealing.js';
import type { Models } from '../../adapters/sequelize/models.js';
import { createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera, TEST_SEALING_KEY } from '../support/tessera.js';

const SECRET = 'a-client-secret-of-some-length-0123456789';

async function storedPayload(models: Models, clientId: string) {
  const row = await models.OidcPayload.findOne({ where: { model: 'Client', id: clientId } });
  return row?.payload;
}

describe('sealing a secret', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and never seals the same secret to the same text twice', () => {
    const sealed = sealSecret(key, 'client-a', SECRET);
    expect(sealed.startsWith(SEALED_PREFIX)).toBe(true);
    expect(sealed).not.toContain(SECRET);
    expect(sealSecret(key, 'client-a', SECRET)).not.toBe(sealed);
    expect(openSecret(key, 'client-a', sealed)).toBe(SECRET);
  });

  it('refuses to open a secret under another client id or another key', () => {
    const sealed = sealSecret(key, 'client-a', SECRET);
    expect(() => openSecret(key, 'client-b', sealed)).toThrow();
    expect(() => openSecret(randomBytes(32), 'client-a', sealed)).toThrow();
  });

  it('refuses a value that was never sealed, so a secret written around Tessera is not trusted', () => {
    expect(() => openSecret(key, 'client-a', SECRET)).toThrow('Client:client-a is not sealed');
  });
});

describe('clients sealed at rest in a running Tessera', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let models: Models;
  const key = Buffer.from(TEST_SEALING_KEY, 'base64');

  beforeAll(async () => {
    tessera = await startTestTessera();
    models = tessera.database.models;
  });
  afterAll(() => tessera?.stop());

  it('seals with SEALING_KEY and keeps no key of its own in the database', async () => {
    expect(await models.Secret.count({ where: { name: 'client_secret_key' } })).toBe(0);
  });

  it('stores a sealed secret and gives the provider the clear one', async () => {
    const adapter = new ClientSecretSealingAdapter(models, key);
    await adapter.upsert('sealed-client', { client_id: 'sealed-client', client_secret: SECRET }, 0);
    const stored = await storedPayload(models, 'sealed-client');
    expect(String(stored?.['client_secret']).startsWith(SEALED_PREFIX)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(await adapter.find('sealed-client')).toEqual({ client_id: 'sealed-client', client_secret: SECRET });
  });

  it('leaves a client without a secret as it is', async () => {
    const adapter = new ClientSecretSealingAdapter(models, key);
    await adapter.upsert('public-client', { client_id: 'public-client', token_endpoint_auth_method: 'none' }, 0);
    expect(await storedPayload(models, 'public-client')).toEqual({ client_id: 'public-client', token_endpoint_auth_method: 'none' });
    expect(await adapter.find('public-client')).toEqual({ client_id: 'public-client', token_endpoint_auth_method: 'none' });
  });

  it('never writes the secret of a client created over the API, which then logs a user in and signs HS256 ID tokens with it', async () => {
    const admin = await adminClient(tessera.issuer);
    const client = await admin.clients.create.mutate({
      name: 'Sealed',
      redirect_uris: [REDIRECT_URI],
      id_token_signed_response_alg: 'HS256',
    });
    expect(JSON.stringify(await storedPayload(models, client.client_id))).not.toContain(client.client_secret);

    const user = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret, { id_token_signed_response_alg: 'HS256' });
    const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    const { payload } = await jwtVerify(tokens.id_token!, new TextEncoder().encode(client.client_secret), {
      issuer: tessera.issuer,
      audience: client.client_id,
    });
    expect(payload.sub).toBe(user.profile.user_id);
  });
});
