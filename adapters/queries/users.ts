/**
 * SQL for users and their identities. No business rules: callers decide what to write.
 */
import { Op, fn, literal, where, type Transaction } from 'sequelize';
import type { IdentityRow, Json, Models, UserRow } from '../sequelize/models.js';

export interface UserWithIdentities {
  user: UserRow;
  identities: IdentityRow[];
}

export type NewUser = Omit<
  Partial<UserRow['_creationAttributes']>,
  'id' | 'created_at' | 'updated_at' | 'logins_count' | 'last_login' | 'last_ip'
> & { id: string };

export interface NewIdentity {
  connectionId: string;
  provider: string;
  externalId: string;
  isSocial: boolean;
  profileData: Json;
  passwordHash: string | null;
}

export function createUserQueries(models: Models) {
  const { User, Identity, Connection } = models;

  return {
    /** The user and every identity with its connection, in one query. */
    async findById(userId: string, transaction?: Transaction): Promise<UserWithIdentities | undefined> {
      const user = await User.findByPk(userId, {
        include: [{ model: Identity, as: 'identities', include: [{ model: Connection, as: 'connection' }] }],
        transaction,
      });
      return user ? { user, identities: user.identities ?? [] } : undefined;
    },

    /** A database connection's identity by email or username, case-insensitively. */
    async findDatabaseIdentity(connectionId: string, login: string): Promise<IdentityRow | undefined> {
      const lowered = login.toLowerCase();
      const row = await Identity.findOne({
        where: {
          connection_id: connectionId,
          provider: 'database',
          [Op.or]: [
            where(fn('lower', literal("profile_data->>'email'")), lowered),
            where(fn('lower', literal("profile_data->>'username'")), lowered),
          ],
        },
      });
      return row ?? undefined;
    },

    async insertWithIdentity(user: NewUser, identity: NewIdentity): Promise<void> {
      await models.sequelize.transaction(async (transaction) => {
        await User.create(user, { transaction });
        await Identity.create(
          {
            user_id: user.id,
            connection_id: identity.connectionId,
            provider: identity.provider,
            external_id: identity.externalId,
            is_social: identity.isSocial,
            profile_data: identity.profileData,
            password_hash: identity.passwordHash,
          },
          { transaction },
        );
      });
    },

    async recordLogin(userId: string, ip: string | undefined): Promise<void> {
      await models.sequelize.query(
        `UPDATE users SET logins_count = logins_count + 1, last_login = now(), last_ip = $2 WHERE id = $1`,
        { bind: [userId, ip ?? null] },
      );
    },
  };
}

export type UserQueries = ReturnType<typeof createUserQueries>;
