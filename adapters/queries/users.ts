/**
 * SQL for users and their identities. No business rules: callers decide what to write. A write
 * that a unique constraint refuses (an email or username taken in the connection, an identity
 * or user_id that exists) throws a StoreConflict.
 */
import { col, fn, QueryTypes, type Transaction, where } from 'sequelize';
import { reportingConflicts } from '../errors.js';
import type { ConnectionRow, IdentityRow, Json, Models, UserRow } from '../sequelize/models.js';
import { type ConnectionOptionsCodec, openedConnection } from './connections.js';
import { type IdentityRecord, toIdentityRecord, toUserRecord, type UserRecord, type UserWithIdentities } from './records.js';

export type NewUser = Partial<Omit<UserRecord, 'id' | 'created_at' | 'updated_at' | 'logins_count' | 'last_login' | 'last_ip'>> & {
  id: string;
};

/** The users columns an update may set: the only identifiers `update` writes into SQL. */
export const ROOT_COLUMNS = [
  'email',
  'email_verified',
  'username',
  'phone_number',
  'phone_verified',
  'name',
  'nickname',
  'given_name',
  'family_name',
  'picture',
  'locale',
  'blocked',
] as const;

const ROOT_COLUMN_NAMES: ReadonlySet<string> = new Set(ROOT_COLUMNS);

export interface MetadataPatch {
  set: Json;
  remove: string[];
  /** Start from an empty object instead of the stored one. */
  clear?: boolean;
}

export interface UserUpdate {
  columns: Record<string, unknown>;
  user_metadata?: MetadataPatch | undefined;
  app_metadata?: MetadataPatch | undefined;
  /** Replaces the management scopes the user holds; not a root column, so linking never copies it. */
  management_scopes?: readonly string[] | undefined;
}

export interface NewIdentity {
  connectionId: string;
  provider: string;
  externalId: string;
  isSocial: boolean;
  profileData: Json;
  passwordHash: string | null;
  /** Sealed; see adapters/crypto/sealing.ts. */
  idpTokens?: string | null;
}

const USER_COLUMNS = [
  ...ROOT_COLUMNS,
  'id',
  'user_metadata',
  'app_metadata',
  'management_scopes',
  'logins_count',
  'last_login',
  'last_ip',
  'created_at',
  'updated_at',
];
const IDENTITY_COLUMNS = ['id', 'user_id', 'connection_id', 'provider', 'external_id', 'is_social', 'profile_data', 'password_hash'];
const CONNECTION_COLUMNS = ['id', 'name', 'strategy', 'options'];

/**
 * A user with every identity and its connection, a row per identity (one with nulls for a user
 * without identities), the user taken from `from`: the users table, or the rows a statement's
 * own update returned. Written out rather than through User.findByPk with nested includes: every
 * login and every profile-cache miss loads a user, and sequelize's building of nested model
 * instances cost more of the event loop than the query.
 */
const withIdentities = (from: string) => `SELECT ${USER_COLUMNS.map((column) => `u.${column}`).join(', ')},
       ${IDENTITY_COLUMNS.map((column) => `i.${column} AS "i.${column}"`).join(', ')},
       ${CONNECTION_COLUMNS.map((column) => `c.${column} AS "c.${column}"`).join(', ')}
  FROM ${from} u
  LEFT JOIN identities i ON i.user_id = u.id
  LEFT JOIN connections c ON c.id = i.connection_id
 WHERE u.id = $1
 ORDER BY i.id`;

const FIND_USER_WITH_IDENTITIES = withIdentities('users');

// The profile as the login left it, in the login's own statement: the cache is refilled with it.
const RECORD_LOGIN = `WITH recorded AS (
  UPDATE users SET logins_count = logins_count + 1, last_login = now(), last_ip = $2 WHERE id = $1 RETURNING *)
${withIdentities('recorded')}`;

/** The columns of one table out of a joined row, under their own names. */
function columnsOf<T>(row: Record<string, unknown>, prefix: string, columns: readonly string[]): T {
  return Object.fromEntries(columns.map((column) => [column, row[`${prefix}${column}`]])) as T;
}

type LoginProvider = 'database' | 'custom';

/**
 * The identity whose email, or else username, is `$2` (lowercased) in connection `$1`. Each arm
 * matches one partial unique index (migrations 0001 and 0006): `provider` is written into the
 * SQL and the key's presence tested, so the planner can prove each index's predicate. One OR
 * under a LIMIT was planned as a scan of every identity in the table instead: 64 ms at 50,000
 * identities, growing with the table.
 */
export function identityByLoginSql(provider: LoginProvider): string {
  const arm = (key: 'email' | 'username') => `(SELECT ${IDENTITY_COLUMNS.join(', ')} FROM identities
     WHERE connection_id = $1 AND provider = '${provider}' AND profile_data ? '${key}' AND lower(profile_data->>'${key}') = $2)`;
  return `${arm('email')} UNION ALL ${arm('username')} LIMIT 1`;
}

export function createUserQueries(models: Models, connectionOptions: ConnectionOptionsCodec) {
  const { User, Identity, Connection } = models;

  // A custom connection's scripts read their configuration from these joined connections.
  function withOpenedConnections(user: UserRow): UserWithIdentities {
    const identities = (user.identities ?? []).map((identity) => {
      const { connection } = identity;
      return toIdentityRecord(identity, connection && openedConnection(connectionOptions, connection));
    });
    return { user: toUserRecord(user), identities };
  }

  /** The user of a statement shaped by withIdentities, with every identity it joined. */
  async function userWithIdentities(sql: string, bind: unknown[], transaction?: Transaction): Promise<UserWithIdentities | undefined> {
    const rows = await models.sequelize.query<Record<string, unknown>>(sql, {
      bind,
      type: QueryTypes.SELECT,
      transaction: transaction ?? null,
    });
    const [first] = rows;
    if (!first) return undefined;
    const identities = rows
      .filter((row) => row['i.id'] !== null)
      .map((row) =>
        toIdentityRecord(
          columnsOf<IdentityRow>(row, 'i.', IDENTITY_COLUMNS),
          openedConnection(connectionOptions, columnsOf<ConnectionRow>(row, 'c.', CONNECTION_COLUMNS)),
        ),
      );
    return { user: toUserRecord(columnsOf<UserRow>(first, '', USER_COLUMNS)), identities };
  }

  async function findIdentityByLogin(connectionId: string, provider: LoginProvider, login: string): Promise<IdentityRecord | undefined> {
    const [row] = await models.sequelize.query<IdentityRow>(identityByLoginSql(provider), {
      bind: [connectionId, login.toLowerCase()],
      type: QueryTypes.SELECT,
    });
    return row ? toIdentityRecord(row) : undefined;
  }

  return {
    /** The user and every identity with its connection, in one query. */
    async findById(userId: string, transaction?: Transaction): Promise<UserWithIdentities | undefined> {
      return userWithIdentities(FIND_USER_WITH_IDENTITIES, [userId], transaction);
    },

    /** A database connection's identity by email or username, case-insensitively. */
    findDatabaseIdentity: (connectionId: string, login: string) => findIdentityByLogin(connectionId, 'database', login),

    /** A custom connection's identity by the email or username its script returned, case-insensitively. */
    findCustomIdentity: (connectionId: string, login: string) => findIdentityByLogin(connectionId, 'custom', login),

    /** An identity of a connection by its upstream id, locked for the rest of the transaction. */
    async findIdentityForUpdate(connectionId: string, externalId: string, transaction: Transaction): Promise<IdentityRecord | undefined> {
      const row = await Identity.findOne({
        where: { connection_id: connectionId, external_id: externalId },
        lock: transaction.LOCK.UPDATE,
        transaction,
      });
      return row ? toIdentityRecord(row) : undefined;
    },

    async insertIdentity(userId: string, identity: NewIdentity, transaction: Transaction): Promise<void> {
      await reportingConflicts(
        Identity.create(
          {
            user_id: userId,
            connection_id: identity.connectionId,
            provider: identity.provider,
            external_id: identity.externalId,
            is_social: identity.isSocial,
            profile_data: identity.profileData,
            password_hash: identity.passwordHash,
            idp_tokens: identity.idpTokens ?? null,
          },
          { transaction },
        ),
      );
    },

    /** Sealed upstream tokens of a user's identities, keyed by identity id. */
    async idpTokensOf(userId: string): Promise<Array<{ id: string; connection_id: string; external_id: string; idp_tokens: string }>> {
      return models.sequelize.query(
        `SELECT id::text AS id, connection_id, external_id, idp_tokens FROM identities WHERE user_id = $1 AND idp_tokens IS NOT NULL`,
        { bind: [userId], type: QueryTypes.SELECT },
      );
    },

    /** `heldPasswordHash`: a sign-up's password, kept off the identity until the address is verified (migration 0014). */
    async insertWithIdentity(user: NewUser, identity: NewIdentity, heldPasswordHash?: string): Promise<void> {
      await reportingConflicts(
        models.sequelize.transaction(async (transaction) => {
          await User.create(user, { transaction });
          await this.insertIdentity(user.id, identity, transaction);
          if (heldPasswordHash !== undefined) {
            await models.sequelize.query('INSERT INTO held_signup_passwords (user_id, password_hash) VALUES ($1, $2)', {
              bind: [user.id, heldPasswordHash],
              transaction,
            });
          }
        }),
      );
    },

    /**
     * The address is verified: a password held since sign-up becomes the database identity's,
     * unless the identity got one meanwhile (a reset). Either way nothing stays held.
     */
    async releaseHeldPassword(userId: string, transaction: Transaction): Promise<void> {
      await models.sequelize.query(
        `WITH held AS (DELETE FROM held_signup_passwords WHERE user_id = $1 RETURNING password_hash)
         UPDATE identities SET password_hash = held.password_hash FROM held
          WHERE identities.user_id = $1 AND identities.provider = 'database' AND identities.password_hash IS NULL`,
        { bind: [userId], transaction },
      );
    },

    async findByEmail(email: string): Promise<UserWithIdentities[]> {
      const users = await User.findAll({
        where: where(fn('lower', col('email')), email.toLowerCase()),
        include: [{ model: Identity, as: 'identities', include: [{ model: Connection, as: 'connection' }] }],
        order: [
          ['created_at', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      return users.map(withOpenedConnections);
    },

    transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
      return reportingConflicts(models.sequelize.transaction(fn));
    },

    /** Locks the rows of the given users for the rest of the transaction; returns the ids found. */
    async lock(userIds: readonly string[], transaction: Transaction): Promise<string[]> {
      const rows = await User.findAll({ attributes: ['id'], where: { id: [...userIds] }, lock: transaction.LOCK.UPDATE, transaction });
      return rows.map((row) => row.id);
    },

    /**
     * Replaces the given root columns and merges metadata at the top level (null removes a key)
     * in one statement, so concurrent updates of different keys both survive.
     */
    async update(userId: string, changes: UserUpdate, transaction?: Transaction): Promise<boolean> {
      const sets: string[] = ['updated_at = now()'];
      const bind: unknown[] = [userId];
      const param = (value: unknown) => {
        bind.push(value);
        return `$${bind.length}`;
      };
      for (const [column, value] of Object.entries(changes.columns)) {
        if (!ROOT_COLUMN_NAMES.has(column)) throw new Error(`not a user column: ${column}`);
        sets.push(`${column} = ${param(value)}`);
      }
      for (const column of ['user_metadata', 'app_metadata'] as const) {
        const patch = changes[column];
        if (!patch) continue;
        const base = patch.clear ? `'{}'::jsonb` : column;
        sets.push(`${column} = (${base} || ${param(JSON.stringify(patch.set))}::jsonb) - ${param(patch.remove)}::text[]`);
      }
      if (changes.management_scopes) sets.push(`management_scopes = ${param([...changes.management_scopes])}::text[]`);
      const rows = await reportingConflicts(
        models.sequelize.query(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, {
          bind,
          transaction: transaction ?? null,
          type: QueryTypes.SELECT,
        }),
      );
      return rows.length > 0;
    },

    async updateIdentity(
      identityId: string,
      changes: { profileData?: Json; passwordHash?: string; idpTokens?: string },
      transaction?: Transaction,
    ): Promise<void> {
      await reportingConflicts(
        Identity.update(
          {
            ...(changes.profileData ? { profile_data: changes.profileData } : {}),
            ...(changes.passwordHash ? { password_hash: changes.passwordHash } : {}),
            ...(changes.idpTokens ? { idp_tokens: changes.idpTokens } : {}),
          },
          { where: { id: identityId }, transaction: transaction ?? null },
        ),
      );
    },

    /** Replaces an identity's password hash if it is still `previous`; false when another write changed it first. */
    async replacePasswordHash(identityId: string, previous: string, next: string, transaction: Transaction): Promise<boolean> {
      const [count] = await Identity.update({ password_hash: next }, { where: { id: identityId, password_hash: previous }, transaction });
      return count > 0;
    },

    async moveIdentity(identityId: string, toUserId: string, profileData: Json, transaction: Transaction): Promise<void> {
      await reportingConflicts(
        Identity.update({ user_id: toUserId, profile_data: profileData }, { where: { id: identityId }, transaction }),
      );
    },

    async insert(user: NewUser, transaction: Transaction): Promise<void> {
      await reportingConflicts(User.create(user, { transaction }));
    },

    async remove(userId: string, transaction?: Transaction): Promise<boolean> {
      return (await User.destroy({ where: { id: userId }, transaction: transaction ?? null })) > 0;
    },

    /** Whether any user holds a management scope: one probe of the partial index of migration 0009. */
    async hasAdministrator(transaction?: Transaction): Promise<boolean> {
      const rows = await models.sequelize.query(`SELECT 1 FROM users WHERE management_scopes <> '{}' LIMIT 1`, {
        transaction: transaction ?? null,
        type: QueryTypes.SELECT,
      });
      return rows.length > 0;
    },

    /** Counts a login; the user as it now is, or undefined for a user that no longer exists. */
    recordLogin(userId: string, ip: string | undefined): Promise<UserWithIdentities | undefined> {
      return userWithIdentities(RECORD_LOGIN, [userId, ip ?? null]);
    },
  };
}

export type UserQueries = ReturnType<typeof createUserQueries>;
