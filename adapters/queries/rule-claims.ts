/**
 * SQL for the custom claims of a user's latest login to a client: one row per (user, client),
 * replaced at each login, unreadable once expired.
 */
import { QueryTypes } from 'sequelize';
import type { Json, Models } from '../sequelize/models.js';

export interface StoredRuleClaims {
  idToken: Json;
  accessToken: Json;
}

export function createRuleClaimsQueries(models: Models) {
  const { sequelize } = models;

  return {
    async save(userId: string, clientId: string, claims: StoredRuleClaims, ttlSeconds: number): Promise<void> {
      await sequelize.query(
        `INSERT INTO rule_claims (user_id, client_id, id_token, access_token, expires_at)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, now() + make_interval(secs => $5))
         ON CONFLICT (user_id, client_id) DO UPDATE
           SET id_token = EXCLUDED.id_token, access_token = EXCLUDED.access_token, expires_at = EXCLUDED.expires_at`,
        { bind: [userId, clientId, JSON.stringify(claims.idToken), JSON.stringify(claims.accessToken), ttlSeconds] },
      );
    },

    async remove(userId: string, clientId: string): Promise<void> {
      await sequelize.query(`DELETE FROM rule_claims WHERE user_id = $1 AND client_id = $2`, { bind: [userId, clientId] });
    },

    async find(userId: string, clientId: string): Promise<StoredRuleClaims | undefined> {
      const rows = await sequelize.query<{ id_token: Json; access_token: Json }>(
        `SELECT id_token, access_token FROM rule_claims WHERE user_id = $1 AND client_id = $2 AND expires_at > now()`,
        { bind: [userId, clientId], type: QueryTypes.SELECT },
      );
      const [row] = rows;
      return row ? { idToken: row.id_token, accessToken: row.access_token } : undefined;
    },

    async sweep(): Promise<void> {
      await sequelize.query(`DELETE FROM rule_claims WHERE expires_at <= now()`);
    },
  };
}

export type RuleClaimsQueries = ReturnType<typeof createRuleClaimsQueries>;
