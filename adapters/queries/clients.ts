/**
 * SQL for listing registered clients: oidc-provider's adapter contract finds one client by id
 * but cannot enumerate them, so the ids come from its table directly.
 */
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

    count(): Promise<number> {
      return OidcPayload.count({ where: CLIENT_MODEL });
    },
  };
}

export type ClientQueries = ReturnType<typeof createClientQueries>;
