/**
 * SQL for logins that wait on an upstream or on a mailed link: a flow is taken exactly once
 * (DELETE … RETURNING, so two callbacks racing with one state cannot both succeed), and a
 * replay cache whose `remember` is true only the first time a key is seen before it expires.
 */
import { QueryTypes } from 'sequelize';
import type { Json, Models } from '../sequelize/models.js';

export function createLoginFlowQueries(models: Models) {
  const { sequelize } = models;

  return {
    async save(id: string, payload: Json, ttlSeconds: number): Promise<void> {
      await sequelize.query(`INSERT INTO login_flows (id, payload, expires_at) VALUES ($1, $2::jsonb, now() + make_interval(secs => $3))`, {
        bind: [id, JSON.stringify(payload), ttlSeconds],
      });
    },

    /** Saves the flow, replacing one kept under the same id (a second sign-up in one interaction). */
    async put(id: string, payload: Json, ttlSeconds: number): Promise<void> {
      await sequelize.query(
        `INSERT INTO login_flows (id, payload, expires_at) VALUES ($1, $2::jsonb, now() + make_interval(secs => $3))
         ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
        { bind: [id, JSON.stringify(payload), ttlSeconds] },
      );
    },

    /** The flow's payload, left in place; undefined when unknown or expired. */
    async find(id: string): Promise<Json | undefined> {
      const rows = await sequelize.query<{ payload: Json }>(`SELECT payload FROM login_flows WHERE id = $1 AND expires_at > now()`, {
        bind: [id],
        type: QueryTypes.SELECT,
      });
      return rows[0]?.payload;
    },

    /** The flow's payload, deleted as it is read; undefined when unknown, expired or already taken. */
    async take(id: string): Promise<Json | undefined> {
      const rows = await sequelize.query<{ payload: Json }>(
        `DELETE FROM login_flows WHERE id = $1 AND expires_at > now() RETURNING payload`,
        { bind: [id], type: QueryTypes.SELECT },
      );
      return rows[0]?.payload;
    },

    /** True when the key was not seen yet (and now is, until it expires); false for a replay. */
    async remember(key: string, expiresAt: Date): Promise<boolean> {
      const rows = await sequelize.query(
        `INSERT INTO replay_cache (key, expires_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE replay_cache.expires_at <= now()
         RETURNING key`,
        { bind: [key, expiresAt], type: QueryTypes.SELECT },
      );
      return rows.length > 0;
    },

    async sweep(): Promise<void> {
      await sequelize.query(`DELETE FROM login_flows WHERE expires_at <= now(); DELETE FROM replay_cache WHERE expires_at <= now();`);
    },
  };
}

export type LoginFlowQueries = ReturnType<typeof createLoginFlowQueries>;
