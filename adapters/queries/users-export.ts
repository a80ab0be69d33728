/**
 * SQL for users exports: users in keyset pages by user_id, each with its identities as the profile
 * shows them. The password hash and sealed upstream tokens are never selected, so no field an
 * export names can reach them.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import type { IdentityRecord, Json, UserRecord } from './records.js';

export interface ExportPage {
  /** Only users with an identity in this connection, as Auth0's connection_id. */
  readonly connectionId: string | undefined;
  /** The last user_id of the previous page; the first page when undefined. */
  readonly after: string | undefined;
  readonly take: number;
}

interface ExportedIdentity {
  id: string;
  connection_id: string;
  connection: string;
  provider: string;
  external_id: string;
  is_social: boolean;
  profile_data: Json;
}

type ExportRow = UserRecord & { identities: ExportedIdentity[] };

const USER_COLUMNS = `u.id, u.email, u.email_verified, u.username, u.phone_number, u.phone_verified, u.name, u.nickname,
  u.given_name, u.family_name, u.picture, u.locale, u.user_metadata, u.app_metadata, u.blocked, u.management_scopes,
  u.logins_count, u.last_login, u.last_ip, u.created_at, u.updated_at`;

const IDENTITIES = `COALESCE((
    SELECT json_agg(json_build_object('id', i.id::text, 'connection_id', i.connection_id, 'connection', c.name, 'provider', i.provider,
      'external_id', i.external_id, 'is_social', i.is_social, 'profile_data', i.profile_data) ORDER BY i.id)
    FROM identities i JOIN connections c ON c.id = i.connection_id WHERE i.user_id = u.id
  ), '[]'::json) AS identities`;

/** The page's conditions, written only from bind positions: an absent filter leaves no condition for the planner to guess about. */
function conditions(connectionId: string | undefined, after: string | undefined): { where: string; bind: string[] } {
  const bind: string[] = [];
  const clauses: string[] = [];
  if (after !== undefined) {
    bind.push(after);
    clauses.push(`u.id > $${bind.length}`);
  }
  if (connectionId !== undefined) {
    bind.push(connectionId);
    clauses.push(`EXISTS (SELECT 1 FROM identities x WHERE x.user_id = u.id AND x.connection_id = $${bind.length})`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', bind };
}

function toIdentity(userId: string, identity: ExportedIdentity): IdentityRecord {
  return {
    id: identity.id,
    user_id: userId,
    connection_id: identity.connection_id,
    provider: identity.provider,
    external_id: identity.external_id,
    is_social: identity.is_social,
    profile_data: identity.profile_data,
    password_hash: null,
    connection: { id: identity.connection_id, name: identity.connection, strategy: identity.provider, options: {} },
  };
}

export function createUsersExportQueries(models: Models) {
  const { sequelize } = models;
  return {
    /** How many users an export without a limit would write. */
    async count(connectionId: string | undefined): Promise<number> {
      const { where, bind } = conditions(connectionId, undefined);
      const [row] = await sequelize.query<{ count: number }>(`SELECT count(*)::int AS count FROM users u ${where}`, {
        bind,
        type: QueryTypes.SELECT,
      });
      return row?.count ?? 0;
    },

    /** One page, in user_id order; identities carry no password hash (it is never selected). */
    async page({ connectionId, after, take }: ExportPage): Promise<Array<{ user: UserRecord; identities: IdentityRecord[] }>> {
      const { where, bind } = conditions(connectionId, after);
      const rows = await sequelize.query<ExportRow>(
        `SELECT ${USER_COLUMNS}, ${IDENTITIES} FROM users u ${where} ORDER BY u.id LIMIT $${bind.length + 1}`,
        { bind: [...bind, take], type: QueryTypes.SELECT },
      );
      return rows.map(({ identities, ...user }) => ({
        user: { ...user, management_scopes: user.management_scopes ?? [] },
        identities: identities.map((identity) => toIdentity(user.id, identity)),
      }));
    },
  };
}

export type UsersExportQueries = ReturnType<typeof createUsersExportQueries>;
