/**
 * Interactions held in the process on a single node: copies in and out, expiry, the bound on
 * how many are held, and NUL refused as PostgreSQL's store refuses it.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryInteractions } from '../../adapters/oidc/memory-interactions.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const payload = (jti: string) => ({ jti, kind: 'Interaction', params: { state: 'abc' }, result: { login: { accountId: 'u1' } } });

describe('interactions held in the process', () => {
  it('hands out copies, so a change to what was read is not saved until it is written', async () => {
    const store = createMemoryInteractions();
    const written = payload('i1');
    await store.upsert('i1', written, 60);
    written.params.state = 'changed after writing';
    const read = await store.find('i1');
    expect(read).toMatchObject({ params: { state: 'abc' } });
    (read as { params: { state: string } }).params.state = 'changed after reading';
    expect(await store.find('i1')).toMatchObject({ params: { state: 'abc' } });
  });

  it('forgets an interaction at its expiry and when destroyed, and marks one consumed once', async () => {
    const store = createMemoryInteractions();
    await store.upsert('short', payload('short'), 1);
    await store.upsert('kept', payload('kept'), 60);
    await store.consume('kept');
    const consumed = (await store.find('kept'))?.consumed;
    expect(consumed).toEqual(expect.any(Number));
    await store.consume('kept');
    expect((await store.find('kept'))?.consumed).toBe(consumed);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.find('short')).toBeUndefined();
    await store.destroy('kept');
    expect(await store.find('kept')).toBeUndefined();
  });

  it('holds at most its bound, the oldest going first', async () => {
    const store = createMemoryInteractions(3);
    for (const id of ['a', 'b', 'c', 'd']) await store.upsert(id, payload(id), 60);
    expect(await store.find('a')).toBeUndefined();
    for (const id of ['b', 'c', 'd']) expect(await store.find(id)).toBeDefined();
  });

  it('refuses a payload holding NUL as a request mistake', async () => {
    const store = createMemoryInteractions();
    await expect(store.upsert('n', { ...payload('n'), params: { state: 'a\u0000b' } }, 60)).rejects.toMatchObject({
      error: 'invalid_request',
    });
  });

  it('carries a whole login on a single node without writing an interaction to PostgreSQL', async () => {
    const tessera = await startTestTessera();
    try {
      const client = await createClient(tessera);
      const user = await createUser(tessera);
      const config = await discover(tessera.issuer, client.client_id, client.client_secret);
      const { tokens } = await login(config, { scope: 'openid', username: user.email, password: user.password });
      expect(tokens.claims()?.sub).toBe(user.profile.user_id);
      expect(await tessera.database.models.OidcPayload.count({ where: { model: 'Interaction' } })).toBe(0);
      expect(await tessera.database.models.OidcPayload.count({ where: { model: 'Session' } })).toBe(1);
    } finally {
      await tessera.stop();
    }
  });
});
