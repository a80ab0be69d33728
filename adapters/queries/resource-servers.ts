/**
 * SQL for the resource servers (APIs) registry: the whole table is small and read at once into
 * each node's cache, so the reads are a list; writes report a taken identifier as a StoreConflict.
 */
import { QueryTypes } from 'sequelize';
import { reportingConflicts } from '../errors.js';
import type { Models } from '../sequelize/models.js';

export interface ResourceServerScopeRecord {
  value: string;
  description?: string | undefined;
}

export interface ClientGrantRecord {
  client_id: string;
  scope: string[];
}

export interface ResourceServerRecord {
  id: string;
  identifier: string;
  name: string;
  scopes: ResourceServerScopeRecord[];
  signing_alg: string;
  token_lifetime: number;
  client_grants: ClientGrantRecord[];
  created_at: Date;
  updated_at: Date;
}

export type ResourceServerFields = Omit<ResourceServerRecord, 'id' | 'created_at' | 'updated_at'>;

const COLUMNS = 'id, identifier, name, scopes, signing_alg, token_lifetime, client_grants, created_at, updated_at';

export function createResourceServerQueries(models: Models) {
  const { sequelize } = models;

  return {
    async list(): Promise<ResourceServerRecord[]> {
      return sequelize.query<ResourceServerRecord>(`SELECT ${COLUMNS} FROM resource_servers ORDER BY created_at, id`, {
        type: QueryTypes.SELECT,
      });
    },

    /** Inserts the row, or replaces every field of the row with that id. */
    async save(id: string, fields: ResourceServerFields): Promise<void> {
      await reportingConflicts(
        sequelize.query(
          `INSERT INTO resource_servers (id, identifier, name, scopes, signing_alg, token_lifetime, client_grants)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb)
           ON CONFLICT (id) DO UPDATE SET identifier = EXCLUDED.identifier, name = EXCLUDED.name, scopes = EXCLUDED.scopes,
             signing_alg = EXCLUDED.signing_alg, token_lifetime = EXCLUDED.token_lifetime,
             client_grants = EXCLUDED.client_grants, updated_at = now()`,
          {
            bind: [
              id,
              fields.identifier,
              fields.name,
              JSON.stringify(fields.scopes),
              fields.signing_alg,
              fields.token_lifetime,
              JSON.stringify(fields.client_grants),
            ],
          },
        ),
      );
    },

    /** Drops the client's grants from every API; whether any API had one. */
    async forgetClient(clientId: string): Promise<boolean> {
      const changed = await sequelize.query(
        `UPDATE resource_servers
         SET client_grants = COALESCE((SELECT jsonb_agg(grant_) FROM jsonb_array_elements(client_grants) AS grant_ WHERE grant_->>'client_id' <> $1), '[]'::jsonb),
             updated_at = now()
         WHERE client_grants @> jsonb_build_array(jsonb_build_object('client_id', $1::text))
         RETURNING id`,
        { bind: [clientId], type: QueryTypes.SELECT },
      );
      return changed.length > 0;
    },

    /** Whether a row was deleted. */
    async remove(id: string): Promise<boolean> {
      const deleted = await sequelize.query(`DELETE FROM resource_servers WHERE id = $1 RETURNING id`, {
        bind: [id],
        type: QueryTypes.SELECT,
      });
      return deleted.length > 0;
    },
  };
}

export type ResourceServerQueries = ReturnType<typeof createResourceServerQueries>;
