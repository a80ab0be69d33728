/**
 * The bare provider's storage when it is measured against PostgreSQL rather than its in-memory
 * adapter: the plainest durable adapter, one statement per operation the library asks for, no
 * batching, no memo, no index beyond what its lookups need. It answers one question for issue
 * 11: how much of Tessera's gap to the in-memory provider any provider pays for writing its
 * tokens to PostgreSQL, and how much is Tessera's own.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import pg from 'pg';
import type { BaselineStore } from './baseline-provider.js';

// Everything the library looks artifacts up by stays in the payload, found through expression indexes.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS baseline_payloads (
    model text, id text, payload jsonb NOT NULL, expires_at timestamptz, consumed_at timestamptz,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS baseline_payloads_grant ON baseline_payloads ((payload->>'grantId'));
  CREATE INDEX IF NOT EXISTS baseline_payloads_uid ON baseline_payloads (model, (payload->>'uid'));
  CREATE INDEX IF NOT EXISTS baseline_payloads_user_code ON baseline_payloads (model, (payload->>'userCode'));
`;

const LIVE = '(expires_at IS NULL OR expires_at > now())';

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

const withConsumed = (row: Row | undefined): AdapterPayload | undefined =>
  row ? { ...row.payload, ...(row.consumed_at ? { consumed: Math.floor(row.consumed_at.getTime() / 1000) } : {}) } : undefined;

export async function openBaselinePostgresStore(url: string): Promise<BaselineStore> {
  // Tessera's pool is ten connections too (adapters/sequelize/database.ts).
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(SCHEMA);
  const one = async (text: string, values: unknown[]) => (await pool.query<Row>(text, values)).rows[0];

  class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await pool.query(
        `INSERT INTO baseline_payloads (model, id, payload, expires_at)
         VALUES ($1, $2, $3, CASE WHEN $4::int > 0 THEN now() + make_interval(secs => $4::int) END)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at, consumed_at = NULL`,
        [this.model, id, payload, expiresIn || 0],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return withConsumed(
        await one(`SELECT payload, consumed_at FROM baseline_payloads WHERE model = $1 AND id = $2 AND ${LIVE}`, [this.model, id]),
      );
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return withConsumed(
        await one(`SELECT payload, consumed_at FROM baseline_payloads WHERE model = $1 AND payload->>'uid' = $2 AND ${LIVE}`, [
          this.model,
          uid,
        ]),
      );
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return withConsumed(
        await one(`SELECT payload, consumed_at FROM baseline_payloads WHERE model = $1 AND payload->>'userCode' = $2 AND ${LIVE}`, [
          this.model,
          userCode,
        ]),
      );
    }

    async consume(id: string): Promise<void> {
      await pool.query('UPDATE baseline_payloads SET consumed_at = now() WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async destroy(id: string): Promise<void> {
      await pool.query('DELETE FROM baseline_payloads WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await pool.query("DELETE FROM baseline_payloads WHERE payload->>'grantId' = $1", [grantId]);
    }
  }

  return { adapter: PostgresAdapter, close: () => pool.end() };
}
