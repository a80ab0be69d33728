/**
 * SQL for connections and the client ↔ connection relation. Secret options are sealed on the
 * way in and opened on the way out by the codec given, so the records handed out hold them in
 * clear and the table never does. A write that a unique constraint refuses (a name taken, a
 * client enabled twice) throws a StoreConflict.
 */
import { QueryTypes, type Transaction } from 'sequelize';
import { reportingConflicts } from '../errors.js';
import type { ConnectionRow, Json, Models } from '../sequelize/models.js';
import { type ConnectionRecord, toConnectionRecord } from './records.js';

/** Someone with an identity in a connection. */
export interface IdentityOwner {
  user_id: string;
  provider: string;
  external_id: string;
}

/** How secret options are stored (server/connections/option-secrets.ts). */
export interface ConnectionOptionsCodec {
  seal(connectionId: string, strategy: string, options: Json): Json;
  open(connectionId: string, strategy: string, options: Json): Json;
}

/** Sealed upstream tokens of an identity, with the connection name its profile shows. */
export interface SealedIdpTokens {
  user_id: string;
  connection_id: string;
  connection: string;
  external_id: string;
  idp_tokens: string;
}

function groupPairs(rows: Array<{ key: string; value: string }>): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const { key, value } of rows) {
    const values = grouped.get(key);
    if (values) values.push(value);
    else grouped.set(key, [value]);
  }
  return grouped;
}

/** A connection's record with its options opened by the codec. */
export const openedConnection = (codec: ConnectionOptionsCodec, row: ConnectionRow): ConnectionRecord =>
  toConnectionRecord(row, codec.open(row.id, row.strategy, row.options));

export function createConnectionQueries(models: Models, codec: ConnectionOptionsCodec) {
  const { Connection, ClientConnection, Identity, User, sequelize } = models;

  const opened = (row: ConnectionRow): ConnectionRecord => openedConnection(codec, row);
  const openedOrNull = (row: ConnectionRow | null): ConnectionRecord | null => (row ? opened(row) : null);
  const allOpened = (rows: ConnectionRow[]) => rows.map(opened);

  return {
    async findByName(name: string): Promise<ConnectionRecord | null> {
      return openedOrNull(await Connection.findOne({ where: { name } }));
    },

    async findById(id: string): Promise<ConnectionRecord | null> {
      return openedOrNull(await Connection.findByPk(id));
    },

    async list(): Promise<ConnectionRecord[]> {
      return allOpened(await Connection.findAll({ order: [['name', 'ASC']] }));
    },

    async create(
      connection: { id: string; name: string; strategy: string; options: Json },
      transaction?: Transaction,
    ): Promise<ConnectionRecord> {
      const options = codec.seal(connection.id, connection.strategy, connection.options);
      return opened(await reportingConflicts(Connection.create({ ...connection, options }, { transaction: transaction ?? null })));
    },

    /** One page in name order, with the count of all that match (any of the strategies given, the name given). */
    async page(
      offset: number,
      limit: number,
      { strategies, name }: { strategies?: readonly string[] | undefined; name?: string | undefined } = {},
    ): Promise<{ rows: ConnectionRecord[]; total: number }> {
      const { rows, count } = await Connection.findAndCountAll({
        where: { ...(strategies ? { strategy: [...strategies] } : {}), ...(name === undefined ? {} : { name }) },
        order: [['name', 'ASC']],
        offset,
        limit,
      });
      return { rows: allOpened(rows), total: count };
    },

    /** The connections a client may log in with, by name. */
    async listEnabledForClient(clientId: string): Promise<ConnectionRecord[]> {
      // One statement, not two: every login page and every submitted login form asks.
      const rows = await sequelize.query(
        `SELECT c.* FROM connections c JOIN client_connections cc ON cc.connection_id = c.id WHERE cc.client_id = $1 ORDER BY c.name`,
        { bind: [clientId], type: QueryTypes.SELECT, model: Connection, mapToModel: true },
      );
      return allOpened(rows);
    },

    /** Replaces the set of connections enabled for a client. */
    async setEnabledForClient(clientId: string, connectionIds: readonly string[]): Promise<void> {
      await reportingConflicts(
        models.sequelize.transaction(async (transaction) => {
          await ClientConnection.destroy({ where: { client_id: clientId }, transaction });
          if (connectionIds.length > 0) {
            await ClientConnection.bulkCreate(
              connectionIds.map((connection_id) => ({ client_id: clientId, connection_id })),
              { transaction },
            );
          }
        }),
      );
    },

    /** Replaces the set of clients a connection is enabled for. */
    async setEnabledClients(connectionId: string, clientIds: readonly string[], transaction?: Transaction): Promise<void> {
      const write = async (tx: Transaction) => {
        await ClientConnection.destroy({ where: { connection_id: connectionId }, transaction: tx });
        if (clientIds.length > 0) {
          await ClientConnection.bulkCreate(
            clientIds.map((client_id) => ({ client_id, connection_id: connectionId })),
            { transaction: tx },
          );
        }
      };
      await reportingConflicts(transaction ? write(transaction) : sequelize.transaction(write));
    },

    /** Forgets a client in the relation, when the client itself is deleted. */
    async removeClient(clientId: string): Promise<void> {
      await ClientConnection.destroy({ where: { client_id: clientId } });
    },

    /** Each client's enabled connection names, sorted, for the clients given. */
    async connectionNamesByClient(clientIds: readonly string[]): Promise<Map<string, string[]>> {
      if (clientIds.length === 0) return new Map();
      const rows = await sequelize.query<{ key: string; value: string }>(
        `SELECT cc.client_id AS key, c.name AS value FROM client_connections cc JOIN connections c ON c.id = cc.connection_id
          WHERE cc.client_id = ANY($1) ORDER BY c.name`,
        { bind: [clientIds], type: QueryTypes.SELECT },
      );
      return groupPairs(rows);
    },

    /** Each connection's enabled client ids, sorted, for the connections given. */
    async clientIdsByConnection(connectionIds: readonly string[]): Promise<Map<string, string[]>> {
      if (connectionIds.length === 0) return new Map();
      const rows = await sequelize.query<{ key: string; value: string }>(
        `SELECT connection_id AS key, client_id AS value FROM client_connections WHERE connection_id = ANY($1) ORDER BY client_id`,
        { bind: [connectionIds], type: QueryTypes.SELECT },
      );
      return groupPairs(rows);
    },

    async updateOptions(connection: { id: string; strategy: string }, options: Json, transaction?: Transaction): Promise<void> {
      await reportingConflicts(
        Connection.update(
          { options: codec.seal(connection.id, connection.strategy, options) },
          { where: { id: connection.id }, transaction: transaction ?? null },
        ),
      );
    },

    transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
      return reportingConflicts(sequelize.transaction(fn));
    },

    /**
     * Locks the connection row for the rest of the transaction. A new identity's foreign key
     * needs a share lock on it, so no identity can be added to the connection meanwhile.
     */
    async lock(id: string, transaction: Transaction): Promise<ConnectionRecord | null> {
      return openedOrNull(await Connection.findByPk(id, { lock: transaction.LOCK.UPDATE, transaction }));
    },

    async identityOwners(connectionId: string, transaction?: Transaction): Promise<IdentityOwner[]> {
      const rows = await Identity.findAll({
        attributes: ['user_id', 'provider', 'external_id'],
        where: { connection_id: connectionId },
        transaction: transaction ?? null,
      });
      return rows.map((row) => ({ user_id: row.user_id, provider: row.provider, external_id: row.external_id }));
    },

    /** The sealed upstream tokens of these users' identities, in one query. */
    async sealedIdpTokens(userIds: readonly string[]): Promise<SealedIdpTokens[]> {
      if (userIds.length === 0) return [];
      return sequelize.query<SealedIdpTokens>(
        `SELECT i.user_id, i.connection_id, c.name AS connection, i.external_id, i.idp_tokens
           FROM identities i JOIN connections c ON c.id = i.connection_id
          WHERE i.user_id = ANY($1) AND i.idp_tokens IS NOT NULL`,
        { bind: [userIds], type: QueryTypes.SELECT },
      );
    },

    /** Deletes the connection, its identities and the given users; client links go with it (ON DELETE CASCADE). */
    async removeWithUsers(connectionId: string, userIds: readonly string[], transaction: Transaction): Promise<void> {
      if (userIds.length > 0) await User.destroy({ where: { id: [...userIds] }, transaction });
      await Identity.destroy({ where: { connection_id: connectionId }, transaction });
      await Connection.destroy({ where: { id: connectionId }, transaction });
    },
  };
}

export type ConnectionQueries = ReturnType<typeof createConnectionQueries>;
