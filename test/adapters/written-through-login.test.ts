/**
 * On a single node, a login reads back the session and grant it wrote from the memo: no
 * statement for them. And what the memo keeps never outlives what the store says: a session
 * ended (signed out, the account revoked) is gone at once. With Redis, the grant it created is
 * read back from the memo too, and another node's change to it still reaches the memo.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

/** A new user's login with a new client, and every read it made of PostgreSQL's oidc_payloads, as "Model by column". */
async function loginReadingStore(tessera: TestTessera) {
  const client = await createClient(tessera);
  const user = await createUser(tessera);
  const config = await discover(tessera.issuer, client.client_id, client.client_secret);
  const reads = vi.spyOn(SequelizeAdapter.prototype, 'findStored');
  try {
    const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
    expect(tokens.claims()?.sub).toBe(user.profile.user_id);
    const storeReads = reads.mock.calls.map(
      ([column], index) => `${(reads.mock.contexts[index] as unknown as { model: string }).model} by ${column}`,
    );
    return { user, tokens, storeReads };
  } finally {
    reads.mockRestore();
  }
}

describe('a login on a single node', () => {
  let tessera: TestTessera;
  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(() => tessera?.stop());

  it('reads no session or grant it wrote from PostgreSQL, and its tokens stop at once when the account is revoked', async () => {
    const { user, tokens, storeReads } = await loginReadingStore(tessera);
    expect(storeReads.filter((read) => read.startsWith('Session') || read.startsWith('Grant'))).toEqual([]);
    expect(storeReads).toContain('AuthorizationCode by id');

    const sessions = await tessera.database.models.OidcPayload.findAll({ where: { model: 'Session' } });
    expect(sessions).toHaveLength(1);
    await tessera.services.revokeAccount(user.profile.user_id);
    const userinfo = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(await tessera.services.providers.provider.Session.adapter.find(sessions[0]!.id)).toBeUndefined();
  });
});

describe('a login with Redis (several nodes possible)', () => {
  let tessera: TestTessera;
  beforeAll(async () => {
    tessera = await startTestTessera({ redis: true });
  });
  afterAll(() => tessera?.stop());

  it('reads back the grant it created without PostgreSQL, and a change to that grant on another node still reaches this one', async () => {
    const { storeReads } = await loginReadingStore(tessera);
    expect(storeReads.filter((read) => read.startsWith('Grant'))).toEqual([]);

    // Another node revokes the grant: its signal reaches this node, which forgets what it kept.
    const [grantRow] = await tessera.database.models.OidcPayload.findAll({ where: { model: 'Grant' } });
    if (!grantRow) throw new Error('the login stored no grant');
    const grants = tessera.services.providers.provider.Grant;
    expect(await grants.find(grantRow.id)).toBeDefined();
    await tessera.database.models.OidcPayload.destroy({ where: { model: 'Grant', id: grantRow.id } });
    await tessera.services.signals.announce('oidc.changed', `Grant:${grantRow.id}`);
    await expect.poll(() => grants.find(grantRow.id)).toBeUndefined();
  });
});
