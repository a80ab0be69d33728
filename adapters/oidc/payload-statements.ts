/**
 * The statements on oidc_payloads that every token request makes, batched per turn of the
 * event loop (turn-batch.ts) across all models and requests of one database: finding by id,
 * upserting, and the conditional consume that decides single use, alone or in the statement
 * that writes a refresh token's successors (UPSERT_REDEEMING). A batch of one runs the plain
 * statement.
 *
 * Straight on a pooled pg connection: a read or an upsert costs the event loop a fraction of
 * what it does through sequelize.query or Model.upsert (docs/benchmarks.md). Unnamed on
 * purpose: a named statement saves PostgreSQL its parsing too, but fails behind a
 * transaction-mode pooler such as PgBouncer without prepared-statement support.
 */
import type pg from 'pg';
import type { Models } from '../sequelize/models.js';
import type { Redemption } from './deferred-writes.js';
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
  /** An artifact the write's statement must mark consumed for the write to land (deferred-writes.ts). */
  redemption?: Redemption | undefined;
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

/**
 * What a write did: created its row, replaced it, or nothing: a token whose grant is gone
 * ('refused'), or one whose redemption was not marked by its statement ('unredeemed').
 */
export type WriteOutcome = 'created' | 'replaced' | 'refused' | 'unredeemed';

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

/**
 * Grant-bound writes (UPSERT_GRANT_BOUND) that also mark consumed the artifacts they redeem, in
 * the same statement and commit: a write whose redemption the statement did not mark (another
 * request marked it first) writes nothing. The writes after RETURNING's rows, the marked
 * artifacts after them.
 */
const UPSERT_REDEEMING = `WITH live AS MATERIALIZED (
  SELECT id FROM oidc_payloads WHERE model = 'Grant' AND id = ANY($9::text[]) FOR KEY SHARE),
redeemed AS (
  UPDATE oidc_payloads p SET consumed_at = now()
    FROM unnest($10::text[], $11::text[]) AS wanted(model, id)
   WHERE p.model = wanted.model AND p.id = wanted.id AND p.consumed_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > now())
  RETURNING p.model, p.id),
written AS (
  INSERT INTO oidc_payloads (${COLUMNS})
  SELECT model, id, payload::jsonb, grant_id, user_code, uid, account_id, expires_at, NULL
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $12::text[], $13::text[])
         AS t(model, id, payload, grant_id, user_code, uid, account_id, expires_at, redeems_model, redeems_id)
   WHERE t.grant_id IN (SELECT id FROM live)
     AND (t.redeems_id IS NULL OR (t.redeems_model, t.redeems_id) IN (SELECT model, id FROM redeemed))
  ${ON_CONFLICT}
  ${RETURNING})
SELECT model, id, created, false AS redeemed FROM written
UNION ALL
SELECT model, id, NULL, true FROM redeemed`;

/**
 * One run of redeeming writes: a redemption an earlier run of the batch decided is not sent
 * again (its writes land plainly if it was marked, not at all if not), and of two requests
 * redeeming one artifact in the run only the first is sent: the other lost already.
 */
async function redeemingRun(models: Models, run: readonly PayloadWrite[], marked: Map<Redemption, boolean>): Promise<WriteOutcome[]> {
  const claimed = new Map<string, Redemption>();
  // Each write sent, with the redemption its row waits on (none once its redemption is marked).
  const sent: Array<{ write: PayloadWrite; redeems: Redemption | undefined }> = [];
  for (const write of run) {
    const { redemption } = write;
    if (!redemption || marked.get(redemption) === true) {
      sent.push({ write, redeems: undefined });
      continue;
    }
    if (marked.get(redemption) === false) continue;
    const claimant = claimed.get(keyOf(redemption));
    if (claimant && claimant !== redemption) {
      marked.set(redemption, false);
      continue;
    }
    claimed.set(keyOf(redemption), redemption);
    sent.push({ write, redeems: redemption });
  }
  const writes = sent.map((entry) => entry.write);
  const wanted = [...claimed.values()];
  const { rows } = await queryPayloads<Key & { created: boolean | null; redeemed: boolean }>(models, 'write', UPSERT_REDEEMING, [
    ...columnArrays(writes),
    [...new Set(writes.map((write) => write.payload.grantId))],
    wanted.map((redemption) => redemption.model),
    wanted.map((redemption) => redemption.id),
    sent.map((entry) => entry.redeems?.model ?? null),
    sent.map((entry) => entry.redeems?.id ?? null),
  ]);
  const markedNow = new Set(rows.filter((row) => row.redeemed).map(keyOf));
  for (const redemption of wanted) marked.set(redemption, markedNow.has(keyOf(redemption)));
  // A run holds each key once, so a returned row is the write of that key.
  const created = new Map(rows.filter((row) => !row.redeemed).map((row) => [keyOf(row), row.created === true]));
  return run.map((write) => {
    const landed = created.get(keyOf(write));
    if (landed !== undefined) return landed ? 'created' : 'replaced';
    return write.redemption && marked.get(write.redemption) === false ? 'unredeemed' : 'refused';
  });
}

/**
 * Redeeming writes, run after run. Each redemption is decided by the first statement that
 * carries it, and says so as that statement starts (Redemption.decided): a write of the same
 * request that comes after waits for it rather than redeeming again (PayloadStatements.upsert).
 */
async function upsertRedeeming(models: Models, writes: readonly PayloadWrite[]): Promise<WriteOutcome[]> {
  const settle = new Map<Redemption, { resolve(marked: boolean): void; reject(error: unknown): void }>();
  for (const { redemption } of writes) {
    if (!redemption || redemption.decided) continue;
    redemption.decided = new Promise<boolean>((resolve, reject) => settle.set(redemption, { resolve, reject }));
    // Awaited only by a write that comes after; until then, a failure must not count as unhandled.
    redemption.decided.catch(() => undefined);
  }
  const marked = new Map<Redemption, boolean>();
  try {
    const outcomes: WriteOutcome[] = [];
    for (const run of distinctRuns(writes)) outcomes.push(...(await redeemingRun(models, run, marked)));
    for (const [redemption, { resolve }] of settle) resolve(marked.get(redemption) === true);
    return outcomes;
  } catch (error) {
    for (const { reject } of settle.values()) reject(error);
    throw error;
  }
}

type WriteKind = 'free' | 'grantBound' | 'redeeming';

const kindOf = (write: PayloadWrite): WriteKind => (write.redemption ? 'redeeming' : boundToGrant(write) ? 'grantBound' : 'free');

async function upsertBatch(models: Models, writes: readonly PayloadWrite[]): Promise<WriteOutcome[]> {
  const kinds = writes.map(kindOf);
  const ofKind = (kind: WriteKind) => writes.filter((_, index) => kinds[index] === kind);
  // Redeeming first: it marks its redemptions decided before anything here is awaited.
  const [redeeming, free, grantBound] = await Promise.all([
    kinds.includes('redeeming') ? upsertRedeeming(models, ofKind('redeeming')) : [],
    kinds.includes('free') ? upsertRuns(models, ofKind('free'), false) : [],
    kinds.includes('grantBound') ? upsertRuns(models, ofKind('grantBound'), true) : [],
  ]);
  const outcomes: Record<WriteKind, WriteOutcome[]> = { redeeming, free, grantBound };
  return kinds.map((kind) => outcomes[kind].shift() ?? 'refused');
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
      // A redemption an earlier statement decided: the write lands plainly if it was marked.
      upsert: (write) => {
        const decided = write.redemption?.decided;
        if (!decided) return upserts.add(write);
        return decided.then((marked) => (marked ? upserts.add({ ...write, redemption: undefined }) : 'unredeemed'));
      },
      consume: (model, id) => consumes.add({ model, id }),
    };
    byDatabase.set(models, statements);
  }
  return statements;
}
