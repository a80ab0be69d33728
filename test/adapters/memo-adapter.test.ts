import { describe, expect, it } from 'vitest';
import { MemoAdapter, createMemo, forget } from '../../adapters/oidc/memo-adapter.js';
import type { AccountIndexedAdapter, AdapterPayload } from '../../adapters/oidc/types.js';

/** An in-memory store that counts reads and can hold a read until released. */
function store() {
  const data = new Map<string, AdapterPayload>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  const adapter: AccountIndexedAdapter = {
    async upsert(id, payload) {
      data.set(id, structuredClone(payload));
    },
    async find(id) {
      reads += 1;
      const value = data.get(id);
      if (gate) await gate;
      return value ? structuredClone(value) : undefined;
    },
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => undefined,
    async destroy(id) {
      data.delete(id);
    },
    revokeByGrantId: async () => undefined,
    idsByAccount: async () => [],
  };
  return { adapter, reads: () => reads, hold: (until: Promise<void>) => (gate = until), release: () => (gate = undefined) };
}

describe('memoized clients and grants', () => {
  it('reads the store once, then serves copies that callers cannot corrupt', async () => {
    const backing = store();
    const grants = new MemoAdapter('Grant', backing.adapter, createMemo(10, 60_000), () => undefined);
    await backing.adapter.upsert('g1', { jti: 'g1', openid: { scope: 'openid' } }, 0);
    const first = await grants.find('g1');
    (first!['openid'] as { scope: string }).scope = 'tampered';
    expect(await grants.find('g1')).toEqual({ jti: 'g1', openid: { scope: 'openid' } });
    expect(backing.reads()).toBe(1);
  });

  it('forgets on every write through it and announces the change to other nodes', async () => {
    const backing = store();
    const announced: string[] = [];
    const clients = new MemoAdapter('Client', backing.adapter, createMemo(10, 60_000), (key) => announced.push(key));
    await clients.upsert('c1', { client_id: 'c1', client_name: 'Old' }, 0);
    expect(await clients.find('c1')).toMatchObject({ client_name: 'Old' });
    await clients.upsert('c1', { client_id: 'c1', client_name: 'New' }, 0);
    expect(await clients.find('c1')).toMatchObject({ client_name: 'New' });
    await clients.destroy('c1');
    expect(await clients.find('c1')).toBeUndefined();
    expect(announced).toEqual(['Client:c1', 'Client:c1', 'Client:c1']);
  });

  it('forgets what another node announced', async () => {
    const backing = store();
    const memo = createMemo(10, 60_000);
    const clients = new MemoAdapter('Client', backing.adapter, memo, () => undefined);
    await backing.adapter.upsert('c2', { client_id: 'c2', client_name: 'Before' }, 0);
    await clients.find('c2');
    await backing.adapter.upsert('c2', { client_id: 'c2', client_name: 'Elsewhere' }, 0);
    forget(memo, 'Client:c2');
    expect(await clients.find('c2')).toMatchObject({ client_name: 'Elsewhere' });
  });

  it('does not keep what a read returned when a write landed while it was reading', async () => {
    const backing = store();
    const clients = new MemoAdapter('Client', backing.adapter, createMemo(10, 60_000), () => undefined);
    await backing.adapter.upsert('c3', { client_id: 'c3', client_name: 'Stale' }, 0);
    let release!: () => void;
    backing.hold(new Promise<void>((resolve) => (release = resolve)));
    const slow = clients.find('c3');
    await new Promise((resolve) => setTimeout(resolve, 10));
    backing.release();
    await clients.upsert('c3', { client_id: 'c3', client_name: 'Fresh' }, 0);
    release();
    expect(await slow).toMatchObject({ client_name: 'Stale' });
    expect(await clients.find('c3')).toMatchObject({ client_name: 'Fresh' });
  });
});

describe('memo copies', () => {
  it('keep a "__proto__" key as data, not as the copy\'s prototype', async () => {
    const backing = store();
    const grants = new MemoAdapter('Grant', backing.adapter, createMemo(10, 60_000), () => undefined);
    await backing.adapter.upsert('g1', JSON.parse('{"jti":"g1","openid":{"__proto__":{"polluted":true}}}') as AdapterPayload, 0);
    await grants.find('g1');
    const hit = (await grants.find('g1'))!['openid'] as Record<string, unknown>;
    expect(Object.keys(hit)).toEqual(['__proto__']);
    expect(hit['polluted']).toBeUndefined();
  });
});
