import { describe, expect, it, vi } from 'vitest';
import {
  createMemo,
  forget,
  MEMOIZED_MODELS,
  MemoAdapter,
  memoizeFactory,
  SINGLE_NODE_MEMOIZED_MODELS,
} from '../../adapters/oidc/memo-adapter.js';
import type { AccountIndexedAdapter, AdapterPayload, ReportsCreation } from '../../adapters/oidc/types.js';

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

/**
 * An in-memory store as the real ones behave (revocable by grant, consumable, blind to what
 * expired) that counts reads and can hold a read until released.
 */
/** An in-memory store; with `reportsCreation`, one that tells whether a write created its row, as PostgreSQL's does. */
function store({ reportsCreation = false } = {}) {
  const data = new Map<string, AdapterPayload>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  let writeGate: Promise<void> | undefined;
  const adapter: AccountIndexedAdapter = {
    async upsert(id, payload) {
      const value = structuredClone(payload);
      if (writeGate) await writeGate;
      data.set(id, value);
    },
    async find(id) {
      reads += 1;
      const value = data.get(id);
      if (gate) await gate;
      if (!value || (typeof value.exp === 'number' && value.exp * 1000 <= Date.now())) return undefined;
      return structuredClone(value);
    },
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    async consume(id) {
      const value = data.get(id);
      if (value) value.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      data.delete(id);
    },
    async revokeByGrantId(grantId) {
      for (const [id, value] of data) if (value.grantId === grantId) data.delete(id);
    },
    idsByAccount: async () => [],
  };
  const reporting: AccountIndexedAdapter & ReportsCreation = {
    ...adapter,
    async save(id: string, payload: AdapterPayload, expiresIn: number): Promise<'created' | 'replaced'> {
      const existed = data.has(id);
      await adapter.upsert(id, payload, expiresIn);
      return existed ? 'replaced' : 'created';
    },
  };
  return {
    adapter: reportsCreation ? reporting : adapter,
    reads: () => reads,
    hold: (until: Promise<void>) => (gate = until),
    release: () => (gate = undefined),
    holdWrites: (until: Promise<void> | undefined) => (writeGate = until),
    stored: (id: string) => data.get(id),
  };
}

/** An upsert the store holds until a destroy of the same id, issued after it, has gone through. */
async function writeOvertakenByDestroy(
  backing: ReturnType<typeof store>,
  adapter: AccountIndexedAdapter,
  id: string,
  payload: AdapterPayload,
) {
  let release!: () => void;
  backing.holdWrites(new Promise<void>((resolve) => (release = resolve)));
  const write = adapter.upsert(id, payload, 3600);
  await adapter.destroy(id);
  backing.holdWrites(undefined);
  release();
  await write;
}

function token(jti: string, grantId: string, lifetimeSeconds = 3600): AdapterPayload {
  const iat = Math.floor(Date.now() / 1000);
  return { jti, kind: 'AccessToken', grantId, accountId: 'user-1', clientId: 'app', scope: 'openid', iat, exp: iat + lifetimeSeconds };
}

describe('memoized access tokens, on a single node', () => {
  const setup = () => {
    const backing = store();
    const memo = createMemo(10, 60_000);
    const tokens = memoizeFactory(
      () => backing.adapter,
      memo,
      () => undefined,
      SINGLE_NODE_MEMOIZED_MODELS,
    )('AccessToken');
    return { backing, memo, tokens };
  };

  it('reads a token from the store once', async () => {
    const { backing, tokens } = setup();
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    expect(await tokens.find('t1')).toMatchObject({ jti: 't1' });
    expect(await tokens.find('t1')).toMatchObject({ jti: 't1' });
    expect(backing.reads()).toBe(1);
  });

  it('stops finding every token of a revoked grant, and only those', async () => {
    const { backing, tokens } = setup();
    for (const [jti, grantId] of [
      ['t1', 'g1'],
      ['t2', 'g1'],
      ['t3', 'g2'],
    ] as const) {
      await backing.adapter.upsert(jti, token(jti, grantId), 3600);
      await tokens.find(jti);
    }
    await tokens.revokeByGrantId('g1');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeUndefined();
    const reads = backing.reads();
    expect(await tokens.find('t3')).toMatchObject({ jti: 't3' });
    expect(backing.reads()).toBe(reads);
  });

  it('stops finding a destroyed token', async () => {
    const { backing, tokens } = setup();
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    await tokens.find('t1');
    await tokens.destroy('t1');
    expect(await tokens.find('t1')).toBeUndefined();
  });

  it('reads a consumed token again, with its consumed mark', async () => {
    const { backing, tokens } = setup();
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    await tokens.find('t1');
    await tokens.consume('t1');
    expect(await tokens.find('t1')).toHaveProperty('consumed');
  });

  it('stops finding a token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { backing, tokens } = setup();
      await backing.adapter.upsert('t1', token('t1', 'g1', 30), 30);
      expect(await tokens.find('t1')).toMatchObject({ jti: 't1' });
      vi.setSystemTime(Date.now() + 31_000);
      expect(await tokens.find('t1')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not keep a token whose grant was revoked while it was being read', async () => {
    const { backing, tokens } = setup();
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    let release!: () => void;
    backing.hold(new Promise<void>((resolve) => (release = resolve)));
    const slow = tokens.find('t1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    backing.release();
    await tokens.revokeByGrantId('g1');
    release();
    expect(await slow).toMatchObject({ jti: 't1' });
    expect(await tokens.find('t1')).toBeUndefined();
  });

  it("forgets a revoked grant's tokens even after they were evicted and read again", async () => {
    const backing = store();
    const memo = createMemo(2, 60_000);
    const tokens = memoizeFactory(
      () => backing.adapter,
      memo,
      () => undefined,
      SINGLE_NODE_MEMOIZED_MODELS,
    )('AccessToken');
    for (const jti of ['t1', 't2', 't3']) await backing.adapter.upsert(jti, token(jti, 'g1'), 3600);
    for (const jti of ['t1', 't2', 't3', 't1']) await tokens.find(jti);
    await tokens.revokeByGrantId('g1');
    for (const jti of ['t1', 't2', 't3']) expect(await tokens.find(jti)).toBeUndefined();
    expect(memo.byGrant.size).toBe(0);
  });
});

describe('access tokens with several nodes possible', () => {
  it('are read from their store every time', async () => {
    const backing = store();
    const tokens = memoizeFactory(
      () => backing.adapter,
      createMemo(10, 60_000),
      () => undefined,
      MEMOIZED_MODELS,
    )('AccessToken');
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    await tokens.find('t1');
    // Another node revokes it, straight in the shared store.
    await backing.adapter.destroy('t1');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(backing.reads()).toBe(2);
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

describe('memo reads on the next turn of the event loop', () => {
  const setup = (readsOnNextTurn: boolean) => {
    const backing = store();
    const tokens = memoizeFactory(
      () => backing.adapter,
      createMemo(10, 60_000, { readsOnNextTurn }),
      () => undefined,
      SINGLE_NODE_MEMOIZED_MODELS,
    )('AccessToken');
    return { backing, tokens };
  };

  it('answer a hit only after the I/O callbacks already due, so concurrent requests take turns', async () => {
    for (const [readsOnNextTurn, expected] of [
      [true, ['turn', 'read']],
      [false, ['read', 'turn']],
    ] as const) {
      const { backing, tokens } = setup(readsOnNextTurn);
      await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
      await tokens.find('t1');
      const order: string[] = [];
      setImmediate(() => order.push('turn'));
      await tokens.find('t1').then(() => order.push('read'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(expected);
    }
  });

  it('see a revocation made while they waited for their turn', async () => {
    const { backing, tokens } = setup(true);
    await backing.adapter.upsert('t1', token('t1', 'g1'), 3600);
    await tokens.find('t1');
    const read = tokens.find('t1');
    await tokens.revokeByGrantId('g1');
    expect(await read).toBeUndefined();
  });
});

describe('sessions and grants written through, on a single node', () => {
  const setup = (writesThrough = true) => {
    const backing = store();
    const memo = createMemo(10, 60_000, { writesThrough });
    const adapters = memoizeFactory(
      () => backing.adapter,
      memo,
      () => undefined,
      SINGLE_NODE_MEMOIZED_MODELS,
    );
    return { backing, memo, sessions: adapters('Session'), grants: adapters('Grant'), tokens: adapters('AccessToken') };
  };
  const session = (id: string, accountId = 'user-1') => ({ jti: id, uid: `uid-${id}`, accountId, loginTs: 1 });

  it('answer the read after a write from memory, as written, whatever the caller changes afterwards', async () => {
    const { backing, sessions, grants } = setup();
    const payload = session('s1');
    await sessions.upsert('s1', payload, 3600);
    payload.accountId = 'someone-else';
    await grants.upsert('g1', { jti: 'g1', accountId: 'user-1', openid: { scope: 'openid' } }, 3600);
    expect(await sessions.find('s1')).toEqual(session('s1'));
    expect(await grants.find('g1')).toMatchObject({ openid: { scope: 'openid' } });
    expect(backing.reads()).toBe(0);
  });

  it('answer a lookup by uid from memory, until the session is destroyed', async () => {
    const { backing, sessions } = setup();
    const findByUid = vi.spyOn(backing.adapter, 'findByUid');
    await sessions.upsert('s7', session('s7'), 3600);
    expect(await sessions.findByUid('uid-s7')).toEqual(session('s7'));
    expect(findByUid).not.toHaveBeenCalled();
    await sessions.destroy('s7');
    expect(await sessions.findByUid('uid-s7')).toBeUndefined();
    expect(findByUid).toHaveBeenCalledTimes(1);
  });

  it('keep neither of two overlapping writes of one session: the next read sees what the store holds', async () => {
    const { backing, sessions } = setup();
    await sessions.upsert('s2', session('s2', 'first'), 3600);
    let release!: () => void;
    backing.holdWrites(new Promise<void>((resolve) => (release = resolve)));
    const slow = sessions.upsert('s2', session('s2', 'second'), 3600);
    backing.holdWrites(undefined);
    await sessions.upsert('s2', session('s2', 'third'), 3600);
    release();
    await slow;
    // The held write landed last in the store; the memo must not answer with the other one.
    expect(backing.stored('s2')).toMatchObject({ accountId: 'second' });
    expect(await sessions.find('s2')).toMatchObject({ accountId: 'second' });
    expect(backing.reads()).toBe(1);
  });

  it('keep nothing of a write that a destroy overtook, and find nothing after the destroy', async () => {
    const { backing, sessions } = setup();
    await writeOvertakenByDestroy(backing, sessions, 's3', session('s3'));
    expect(await sessions.find('s3')).toEqual(backing.stored('s3'));
    expect(backing.reads()).toBe(1);
    await sessions.destroy('s3');
    expect(await sessions.find('s3')).toBeUndefined();
  });

  it('keep nothing when a write fails', async () => {
    const { backing, sessions } = setup();
    backing.holdWrites(Promise.reject(new Error('store down')));
    await expect(sessions.upsert('s4', session('s4'), 3600)).rejects.toThrow('store down');
    backing.holdWrites(undefined);
    expect(await sessions.find('s4')).toBeUndefined();
    expect(backing.reads()).toBe(1);
  });

  it('expire with the lifetime the store was given', async () => {
    const { backing, sessions } = setup();
    await sessions.upsert('s5', session('s5'), 1);
    expect(await sessions.find('s5')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await sessions.find('s5');
    expect(backing.reads()).toBe(1);
  });

  it('are not kept as written for access tokens, nor when other nodes may write (Redis)', async () => {
    const single = setup();
    await single.tokens.upsert('t1', token('t1', 'g1'), 3600);
    await single.tokens.find('t1');
    expect(single.backing.reads()).toBe(1);

    const shared = setup(false);
    await shared.sessions.upsert('s6', session('s6'), 3600);
    await shared.sessions.find('s6');
    expect(shared.backing.reads()).toBe(1);
  });
});

describe('grants a write created, with several nodes (Redis)', () => {
  const setup = () => {
    const backing = store({ reportsCreation: true });
    const announced: string[] = [];
    const memo = createMemo(10, 60_000, { writesThrough: false });
    const adapters = memoizeFactory(
      () => backing.adapter,
      memo,
      (key) => announced.push(key),
      MEMOIZED_MODELS,
    );
    return { backing, memo, announced, grants: adapters('Grant'), clients: adapters('Client') };
  };
  const grant = (id: string, scope = 'openid') => ({ jti: id, accountId: 'user-1', clientId: 'app', openid: { scope } });

  it('are kept as written and not announced, as no other node can hold a copy; a grant replaced is announced and read again', async () => {
    const { backing, announced, grants } = setup();
    await grants.upsert('g1', grant('g1'), 3600);
    expect(await grants.find('g1')).toEqual(grant('g1'));
    expect(backing.reads()).toBe(0);
    expect(announced).toEqual([]);

    await grants.upsert('g1', grant('g1', 'openid email'), 3600);
    expect(announced).toEqual(['Grant:g1']);
    expect(await grants.find('g1')).toEqual(grant('g1', 'openid email'));
    expect(backing.reads()).toBe(1);
  });

  it("are forgotten when another node's signal names them, like any memoized grant", async () => {
    const { backing, memo, grants } = setup();
    await grants.upsert('g2', grant('g2'), 3600);
    await backing.adapter.upsert('g2', grant('g2', 'openid profile'), 3600);
    forget(memo, 'Grant:g2');
    expect(await grants.find('g2')).toEqual(grant('g2', 'openid profile'));
  });

  it('are not kept when a destroy overtook the write, and the destroy is announced', async () => {
    const { backing, announced, grants } = setup();
    await writeOvertakenByDestroy(backing, grants, 'g3', grant('g3'));
    expect(announced).toContain('Grant:g3');
    expect(await grants.find('g3')).toEqual(backing.stored('g3'));
    expect(backing.reads()).toBe(1);
  });

  it('leave other models as before: a client created is still announced and read from the store', async () => {
    const { backing, announced, clients } = setup();
    await clients.upsert('c1', { client_id: 'c1' }, 0);
    expect(announced).toEqual(['Client:c1']);
    await clients.find('c1');
    expect(backing.reads()).toBe(1);
  });
});
