/**
 * SQL for listing registered clients: oidc-provider's adapter contract finds one client by id
 * but cannot enumerate or search them, so the ids come from its table directly.
 */
import { cast, col, Op, where } from 'sequelize';
import type { Models } from '../sequelize/models.js';

const CLIENT_MODEL = { model: 'Client' } as const;

export function createClientQueries(models: Models) {
  const { OidcPayload } = models;

  return {
    /** Client ids in id order, one page at a time. */
    async listIds(offset: number, limit: number): Promise<string[]> {
      const rows = await OidcPayload.findAll({ attributes: ['id'], where: CLIENT_MODEL, order: [['id', 'ASC']], offset, limit });
      return rows.map((row) => row.id);
    },

    /** The clients that registered exactly this redirect URI, in id order (JSONB containment: exact string equality). */
    async idsWithRedirectUri(uri: string): Promise<string[]> {
      const rows = await OidcPayload.findAll({
        attributes: ['id'],
        where: { [Op.and]: [CLIENT_MODEL, where(col('payload'), Op.contains, cast(JSON.stringify({ redirect_uris: [uri] }), 'jsonb'))] },
        order: [['id', 'ASC']],
      });
      return rows.map((row) => row.id);
    },

    count(): Promise<number> {
      return OidcPayload.count({ where: CLIENT_MODEL });
    },
  };
}

export type ClientQueries = ReturnType<typeof createClientQueries>;
