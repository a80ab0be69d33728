/**
 * The least a durable provider on one node can pay for PostgreSQL: every read answered from
 * memory (one node sees every write, so memory is never stale), and every change committed
 * before the response that follows it, with no wait in between: the library goes on at once,
 * the request waits for its writes at the end, and the changes of one turn of the event loop
 * go out as one statement, one commit, whatever requests they come from. No real provider gets
 * below this: it has to commit what it answers with, at least once per batch. Measured against
 * the in-memory provider, it answers for issue 11 what part of a goal any durable provider can
 * reach on this machine.
 *
 * Not a store to run: it loads nothing at start, and a grant revoked in the turn a token of
 * that grant is written may keep the token's row.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider-published/lib/adapters/memory_adapter.js';
import pg from 'pg';
import { TurnBatch } from '../adapters/oidc/turn-batch.js';
import type { BaselineStore } from './baseline-provider.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_payloads (
    model text, id text, payload jsonb NOT NULL, grant_id text, expires_at timestamptz, consumed_at timestamptz,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS floor_payloads_grant ON floor_payloads (grant_id);
`;

// One statement for a whole turn's changes, of the parts it has. Each row appears in at most one
// of the lists (the last change to a row wins), since a statement cannot change one row twice.
// Each part's parameters are numbered from $1; joined, they follow the parts before them.
const PARTS = {
  revoked: { text: 'DELETE FROM floor_payloads WHERE grant_id = ANY($1::text[])', parameters: 1 },
  removed: { text: 'DELETE FROM floor_payloads WHERE (model, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))', parameters: 2 },
  spent: {
    text: 'UPDATE floor_payloads SET consumed_at = now() WHERE (model, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    parameters: 2,
  },
  written: {
    text: `INSERT INTO floor_payloads (model, id, payload, grant_id, expires_at, consumed_at)
      SELECT m, i, p, g, CASE WHEN e > 0 THEN now() + make_interval(secs => e) END, CASE WHEN c THEN now() END
      FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::int[], $6::bool[]) AS u (m, i, p, g, e, c)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        expires_at = excluded.expires_at, consumed_at = excluded.consumed_at`,
    parameters: 6,
  },
} as const;

function statement(parts: ReadonlyArray<{ name: keyof typeof PARTS; values: unknown[] }>): { text: string; values: unknown[] } {
  let offset = 0;
  const ctes = parts.map(({ name }) => {
    const part = PARTS[name];
    const text = part.text.replace(/\$(\d+)/g, (_, index: string) => `$${Number(index) + offset}`);
    offset += part.parameters;
    return `${name} AS (${text})`;
  });
  return { text: `WITH ${ctes.join(', ')} SELECT 1`, values: parts.flatMap(({ values }) => values) };
}

const DEADLOCK_DETECTED = '40P01';

type Change =
  | { readonly kind: 'write'; readonly payload: AdapterPayload; readonly expiresIn: number; readonly consumed: boolean }
  | { readonly kind: 'consume' }
  | { readonly kind: 'remove' };

/** One change to a row, or a grant revoked with every row under it. */
type Recorded = { readonly key: string; readonly change: Change } | { readonly revokedGrant: string };

/** The last change to each row of a turn (a consume after a write marks the write), and the grants revoked. */
function collapse(recorded: readonly Recorded[]): { changes: Map<string, Change>; revokedGrants: string[] } {
  const changes = new Map<string, Change>();
  const revokedGrants: string[] = [];
  for (const item of recorded) {
    if ('revokedGrant' in item) {
      revokedGrants.push(item.revokedGrant);
      continue;
    }
    const earlier = changes.get(item.key);
    changes.set(item.key, item.change.kind === 'consume' && earlier?.kind === 'write' ? { ...earlier, consumed: true } : item.change);
  }
  return { changes, revokedGrants };
}

/** The one statement for a turn's changes, or none when they leave nothing to write. */
function statementFor(recorded: readonly Recorded[]): { text: string; values: unknown[] } | undefined {
  const { changes, revokedGrants } = collapse(recorded);
  const removed: [string[], string[]] = [[], []];
  const spent: [string[], string[]] = [[], []];
  const written: [string[], string[], string[], Array<string | null>, number[], boolean[]] = [[], [], [], [], [], []];
  // In key order, so that two statements in flight lock the rows they share in the same order.
  for (const [key, change] of [...changes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = key.indexOf(':');
    const [model, id] = [key.slice(0, at), key.slice(at + 1)];
    const into = change.kind === 'remove' ? removed : change.kind === 'consume' ? spent : written;
    into[0].push(model);
    into[1].push(id);
    if (change.kind !== 'write') continue;
    const grantId = change.payload.grantId;
    written[2].push(JSON.stringify(change.payload));
    written[3].push(typeof grantId === 'string' ? grantId : null);
    written[4].push(change.expiresIn || 0);
    written[5].push(change.consumed);
  }
  const parts: Array<{ name: keyof typeof PARTS; values: unknown[] }> = [];
  if (revokedGrants.length > 0) parts.push({ name: 'revoked', values: [revokedGrants] });
  if (removed[1].length > 0) parts.push({ name: 'removed', values: removed });
  if (spent[1].length > 0) parts.push({ name: 'spent', values: spent });
  if (written[1].length > 0) parts.push({ name: 'written', values: written });
  return parts.length > 0 ? statement(parts) : undefined;
}

export async function openBaselineFloorStore(url: string): Promise<BaselineStore> {
  // Tessera's pool is ten connections too (adapters/sequelize/database.ts).
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(SCHEMA);

  // The in-memory provider's own store answers every read, exactly as it does for the in-memory provider.
  const memory = createMemoryAdapter();
  // The commits each request waits for before its response.
  const requestCommits = new AsyncLocalStorage<Array<Promise<void>>>();

  // Statements in flight side by side can still lock rows in opposite orders, one in a part and
  // the other in another; PostgreSQL then fails one, which is sent again, as a real store would.
  async function commit(text: string, values: unknown[]): Promise<void> {
    for (;;) {
      try {
        await pool.query(text, values);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED) throw error;
      }
    }
  }

  const batch = new TurnBatch<Recorded, void>(async (recorded) => {
    const built = statementFor(recorded);
    if (built) await commit(built.text, built.values);
    return recorded.map(() => undefined);
  });

  /** Adds a change to this turn's statement; its commit is awaited by the request, or here outside one. */
  function record(item: Recorded): Promise<void> {
    const committed = batch.add(item);
    const request = requestCommits.getStore();
    if (!request) return committed;
    committed.catch(() => undefined);
    request.push(committed);
    return Promise.resolve();
  }

  class FloorAdapter implements Adapter {
    private readonly memory: Adapter;

    constructor(private readonly model: string) {
      this.memory = memory(model);
    }

    private key(id: string) {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await this.memory.upsert(id, payload, expiresIn);
      // A copy: the library may change its model after saving it, before the statement goes out.
      await record({ key: this.key(id), change: { kind: 'write', payload: { ...payload }, expiresIn, consumed: false } });
    }

    find(id: string) {
      return this.memory.find(id);
    }

    findByUid(uid: string) {
      return this.memory.findByUid(uid);
    }

    findByUserCode(userCode: string) {
      return this.memory.findByUserCode(userCode);
    }

    async consume(id: string): Promise<void> {
      await this.memory.consume(id);
      await record({ key: this.key(id), change: { kind: 'consume' } });
    }

    async destroy(id: string): Promise<void> {
      await this.memory.destroy(id);
      await record({ key: this.key(id), change: { kind: 'remove' } });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.memory.revokeByGrantId(grantId);
      await record({ revokedGrant: grantId });
    }
  }

  return {
    adapter: FloorAdapter,
    async aroundRequest(next) {
      const commits: Array<Promise<void>> = [];
      await requestCommits.run(commits, next);
      await Promise.all(commits);
    },
    close: () => pool.end(),
  };
}
