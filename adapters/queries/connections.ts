/**
 * SQL for connections and the client ↔ connection relation.
 */
import type { ConnectionRow, Json, Models } from '../sequelize/models.js';

export function createConnectionQueries(models: Models) {
  const { Connection, ClientConnection } = models;

  return {
    findByName(name: string): Promise<ConnectionRow | null> {
      return Connection.findOne({ where: { name } });
    },

    findById(id: string): Promise<ConnectionRow | null> {
      return Connection.findByPk(id);
    },

    list(): Promise<ConnectionRow[]> {
      return Connection.findAll({ order: [['name', 'ASC']] });
    },

    async create(connection: { id: string; name: string; strategy: string; options: Json }): Promise<ConnectionRow> {
      return Connection.create(connection);
    },

    /** The connections a client may log in with, by name. */
    async listEnabledForClient(clientId: string): Promise<ConnectionRow[]> {
      const links = await ClientConnection.findAll({ where: { client_id: clientId } });
      if (links.length === 0) return [];
      return Connection.findAll({ where: { id: links.map((link) => link.connection_id) }, order: [['name', 'ASC']] });
    },

    /** Replaces the set of connections enabled for a client. */
    async setEnabledForClient(clientId: string, connectionIds: readonly string[]): Promise<void> {
      await models.sequelize.transaction(async (transaction) => {
        await ClientConnection.destroy({ where: { client_id: clientId }, transaction });
        if (connectionIds.length > 0) {
          await ClientConnection.bulkCreate(
            connectionIds.map((connection_id) => ({ client_id: clientId, connection_id })),
            { transaction },
          );
        }
      });
    },
  };
}

export type ConnectionQueries = ReturnType<typeof createConnectionQueries>;
