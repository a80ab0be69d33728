/**
 * The statements on oidc_payloads that every token request makes, batched per turn of the
 * event loop (turn-batch.ts) across all models and requests of one database: finding by id,
 * upserting, and the conditional consume that decides single use. A batch of one runs the
 * plain statement.
 *
 * Straight on a pooled pg connection: a read or an upsert costs the event loop a fraction of
 * what it does through sequelize.query or Model.upsert (docs/benchmarks.md). Unnamed on
 * purpose: a named statement saves PostgreSQL its parsing too, but fails behind a
 * transaction-mode pooler such as PgBouncer without prepared-statement support.
 */
import type pg from 'pg';
import type { Models } from '../sequelize/models.js';
import { GRANT_BOUND_MODELS } from './grant-bound-models.js';
import { copyPayload } from './payload-copy.js';
import { TurnBatch } from './turn-batch.js';
import type { AdapterPayload } from './types.js';

export interface PayloadRow {
  id: string;
  payload: AdapterPayload;
  consumed_at: Date | null;
  expires_at: Date | null;
}

export interface PayloadWrite {
  model: string;
  id: string;
  payload: AdapterPayload;
  /** Seconds; 0 for an artifact that does not expire. */
  expiresIn: number;
}

interface Key {
  model: string;
  id: string;
}

export async function queryPayloads<Row extends pg.QueryResultRow>(
  models: Models,
  type: 'read' | 'write',
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<Row>> {
  const { connectionManager } = models.sequelize;
  const connection = await connectionManager.getConnection({ type });
  try {
    // Sequelize's postgres dialect pools node-postgres clients.
    return await (connection as pg.ClientBase).query<Row>({ text, values });
  } finally {
    connectionManager.releaseConnection(connection);
  }
}

// Callers check for NUL before they get here, so it cannot occur inside a key.
const keyOf = ({ model, id }: Key) => `${model}\u0000${id}`;

const LIVE = '(expires_at IS NULL OR expires_at > now())';

const FIND_ONE = `SELECT id, payload, consumed_at, expires_at FROM oidc_payloads WHERE model = $1 AND id = $2 AND ${LIVE} LIMIT 1`;
const FIND_MANY = `SELECT p.model, p.id, p.payload, p.consumed_at, p.expires_at
  FROM unnest($1::text[], $2::text[]) AS wanted(model, id)
  JOIN oidc_payloads p ON p.model = wanted.model AND p.id = wanted.id
 WHERE p.expires_at IS NULL OR p.expires_at > now()`;

async function findBatch(models: Models, keys: readonly Key[]): Promise<Array<PayloadRow | undefined>> {
  const [only] = keys;
  if (keys.length === 1 && only) {
    const { rows } = await queryPayloads<PayloadRow>(models, 'read', FIND_ONE, [only.model, only.id]);
    return [rows[0]];
  }
  const { rows } = await queryPayloads<PayloadRow & { model: string }>(models, 'read', FIND_MANY, [
    keys.map((key) => key.model),
    keys.map((key) => key.id),
  ]);
  const found = new Map(rows.map((row) => [keyOf(row), row]));
  const handedOut = new Set<string>();
  return keys.map((key) => {
    const row = found.get(keyOf(key));
    if (!row) return undefined;
    // Two callers asking for one row must not share the parsed payload: oidc-provider changes what it is given.
    if (handedOut.has(keyOf(key))) return { ...row, payload: copyPayload(row.payload) };
    handedOut.add(keyOf(key));
    return row;
  });
}

const COLUMNS = 'model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at';
const ON_CONFLICT = `ON CONFLICT (model, id) DO UPDATE
   SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code, uid = EXCLUDED.uid,
       account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at, consumed_at = NULL`;
/**
 * Whether each row was created by the write rather than replaced: a row version that no
 * transaction has touched since its insert has no xmax. A new row has no copy in any node's
 * memo (MemoAdapter.upsert).
 */
const RETURNING = 'RETURNING model, id, xmax = 0 AS created';
const UPSERT_ONE = `INSERT INTO oidc_payloads (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) ${ON_CONFLICT} ${RETURNING}`;
/** The rows of a batch, one array per column ($1 to $8, as columnArrays gives them). */
const BATCH_ROWS = `SELECT model, id, payload::jsonb, grant_id, user_code, uid, account_id, expires_at, NULL
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
       AS t(model, id, payload, grant_id, user_code, uid, account_id, expires_at)`;
const UPSERT_MANY = `INSERT INTO oidc_payloads (${COLUMNS})
${BATCH_ROWS}
${ON_CONFLICT}
${RETURNING}`;

const columnsOf = ({ model, id, payload, expiresIn }: PayloadWrite) => [
  model,
  id,
  JSON.stringify(payload),
  payload.grantId ?? null,
  payload.userCode ?? null,
  payload.uid ?? null,
  payload.accountId ?? null,
  expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
];

/** The writes as one array per column, the parameters of BATCH_ROWS. */
function columnArrays(writes: readonly PayloadWrite[]): unknown[][] {
  const rows = writes.map(columnsOf);
  return Array.from({ length: 8 }, (_, column) => rows.map((row) => row[column]));
}

/** Runs of writes with no key twice, in order: one INSERT … ON CONFLICT cannot touch a row twice. */
function distinctRuns(writes: readonly PayloadWrite[]): PayloadWrite[][] {
  const runs: PayloadWrite[][] = [];
  let run: PayloadWrite[] = [];
  let keys = new Set<string>();
  for (const write of writes) {
    if (keys.has(keyOf(write))) {
      runs.push(run);
      run = [];
      keys = new Set();
    }
    run.push(write);
    keys.add(keyOf(write));
  }
  runs.push(run);
  return runs;
}

/**
 * A token is written only while its grant exists, holding the grant's row (FOR KEY SHARE) until
 * its write commits: a revocation that deletes the grant first (SequelizeAdapter.destroy) then
 * either waits for the write and deletes the token after it, or has deleted the grant before the
 * write, which then writes nothing. Without it, a token issued as its grant was revoked, on
 * another request or node, could be written after the revocation and outlive its grant.
 */
const UPSERT_GRANT_BOUND = `WITH live AS MATERIALIZED (
  SELECT id FROM oidc_payloads WHERE model = 'Grant' AND id = ANY($9::text[]) FOR KEY SHARE)
INSERT INTO oidc_payloads (${COLUMNS})
${BATCH_ROWS}
 WHERE t.grant_id IN (SELECT id FROM live)
${ON_CONFLICT}
${RETURNING}`;

const GRANT_BOUND: ReadonlySet<string> = new Set(GRANT_BOUND_MODELS);

/** Issued under a grant, so written only while the grant exists (UPSERT_GRANT_BOUND). */
const boundToGrant = (write: PayloadWrite) => GRANT_BOUND.has(write.model) && typeof write.payload.grantId === 'string';

/** What a write did: created its row, replaced it, or (a token whose grant is gone) nothing. */
export type WriteOutcome = 'created' | 'replaced' | 'refused';

/** Each write's outcome, in order; a write whose row the statement did not return was refused. */
async function upsertRuns(models: Models, writes: readonly PayloadWrite[], grantBound: boolean): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (const run of distinctRuns(writes)) {
    const [only] = run;
    const [statement, values] = grantBound
      ? [UPSERT_GRANT_BOUND, [...columnArrays(run), [...new Set(run.map((write) => write.payload.grantId))]]]
      : run.length === 1 && only
        ? [UPSERT_ONE, columnsOf(only)]
        : [UPSERT_MANY, columnArrays(run)];
    const { rows } = await queryPayloads<Key & { created: boolean }>(models, 'write', statement, values);
    const created = new Map(rows.map((row) => [keyOf(row), row.created]));
    for (const write of run) {
      const landed = created.get(keyOf(write));
      outcomes.push(landed === undefined ? 'refused' : landed ? 'created' : 'replaced');
    }
  }
  return outcomes;
}

async function upsertBatch(models: Models, writes: readonly PayloadWrite[]): Promise<WriteOutcome[]> {
  const bound = writes.map(boundToGrant);
  const free = writes.filter((_, index) => !bound[index]);
  const grantBound = writes.filter((_, index) => bound[index]);
  const [freeOutcomes, boundOutcomes] = await Promise.all([
    free.length > 0 ? upsertRuns(models, free, false) : [],
    grantBound.length > 0 ? upsertRuns(models, grantBound, true) : [],
  ]);
  return writes.map((_, index) => (bound[index] ? boundOutcomes.shift() : freeOutcomes.shift()) ?? 'refused');
}

const CONSUME_ONE = `UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL AND ${LIVE}`;
const CONSUME_MANY = `UPDATE oidc_payloads p SET consumed_at = now()
  FROM unnest($1::text[], $2::text[]) AS wanted(model, id)
 WHERE p.model = wanted.model AND p.id = wanted.id AND p.consumed_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > now())
RETURNING p.model, p.id`;

/** Whether each caller marked its artifact consumed; of two callers in one batch for one artifact, only the first did. */
async function consumeBatch(models: Models, keys: readonly Key[]): Promise<boolean[]> {
  const [only] = keys;
  if (keys.length === 1 && only) {
    const { rowCount } = await queryPayloads(models, 'write', CONSUME_ONE, [only.model, only.id]);
    return [Boolean(rowCount)];
  }
  const { rows } = await queryPayloads<Key>(models, 'write', CONSUME_MANY, [keys.map((key) => key.model), keys.map((key) => key.id)]);
  const marked = new Set(rows.map(keyOf));
  return keys.map((key) => marked.delete(keyOf(key)));
}

export interface PayloadStatements {
  find(model: string, id: string): Promise<PayloadRow | undefined>;
  /** 'refused', writing nothing, for a token whose grant no longer exists. */
  upsert(write: PayloadWrite): Promise<WriteOutcome>;
  /** True for the one caller that marked a live, unconsumed artifact consumed. */
  consume(model: string, id: string): Promise<boolean>;
}

const byDatabase = new WeakMap<Models, PayloadStatements>();

/** One set of batches per database, shared by the adapters of every model. */
export function payloadStatements(models: Models): PayloadStatements {
  let statements = byDatabase.get(models);
  if (!statements) {
    const finds = new TurnBatch<Key, PayloadRow | undefined>((keys) => findBatch(models, keys));
    const upserts = new TurnBatch<PayloadWrite, WriteOutcome>((writes) => upsertBatch(models, writes));
    const consumes = new TurnBatch<Key, boolean>((keys) => consumeBatch(models, keys));
    statements = {
      find: (model, id) => finds.add({ model, id }),
      upsert: (write) => upserts.add(write),
      consume: (model, id) => consumes.add({ model, id }),
    };
    byDatabase.set(models, statements);
  }
  return statements;
}
