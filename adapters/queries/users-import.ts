/**
 * SQL for the users import: a batch's existing users found in one statement, and its new and
 * updated users written with a few multi-row statements in one transaction. No rules here: the
 * import (server/jobs/users-import.ts) decides which user is new, which is updated and with what.
 * Also the liveness of import jobs: a node touches the jobs it holds, and one whose node stopped
 * touching it is marked failed.
 */
import { QueryTypes } from 'sequelize';
import { reportingConflicts } from '../errors.js';
import type { Models } from '../sequelize/models.js';

/** A database identity of the connection that one of a batch's users matches. */
export interface ExistingIdentity {
  readonly identity_id: string;
  readonly user_id: string;
  readonly external_id: string;
  /** Lower-cased. */
  readonly email: string | null;
  readonly username: string | null;
  readonly blocked: boolean;
  readonly management_scopes: string[];
}

export interface ImportInsert {
  readonly id: string;
  readonly external_id: string;
  readonly email: string;
  readonly email_verified: boolean;
  readonly username: string | null;
  readonly name: string | null;
  readonly nickname: string | null;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly picture: string | null;
  readonly blocked: boolean;
  readonly user_metadata: Record<string, unknown>;
  readonly app_metadata: Record<string, unknown>;
  readonly profile_data: Record<string, unknown>;
  readonly password_hash: string | null;
}

/** An update: null keeps the stored value. */
export interface ImportUpdate {
  readonly id: string;
  readonly identity_id: string;
  readonly email_verified: boolean | null;
  readonly name: string | null;
  readonly nickname: string | null;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly picture: string | null;
  readonly blocked: boolean | null;
  readonly user_metadata: Record<string, unknown> | null;
  readonly app_metadata: Record<string, unknown> | null;
  readonly password_hash: string | null;
}

const USER_RECORD = `id text, email text, email_verified boolean, username text, name text, nickname text, given_name text,
  family_name text, picture text, blocked boolean, user_metadata jsonb, app_metadata jsonb`;

export function createUsersImportQueries(models: Models) {
  const { sequelize } = models;
  return {
    /**
     * The connection's database identities with one of these ids, emails or usernames. Each
     * condition repeats its partial index's predicate, so PostgreSQL can use the index.
     */
    async findExisting(
      connectionId: string,
      keys: { externalIds: readonly string[]; emails: readonly string[]; usernames: readonly string[] },
    ): Promise<ExistingIdentity[]> {
      return sequelize.query<ExistingIdentity>(
        `SELECT i.id::text AS identity_id, i.user_id, i.external_id, lower(i.profile_data->>'email') AS email,
                lower(i.profile_data->>'username') AS username, u.blocked, u.management_scopes
           FROM identities i JOIN users u ON u.id = i.user_id
          WHERE i.connection_id = $1 AND i.provider = 'database'
            AND (i.external_id = ANY($2::text[])
              OR (i.profile_data ? 'email' AND lower(i.profile_data->>'email') = ANY($3::text[]))
              OR (i.profile_data ? 'username' AND lower(i.profile_data->>'username') = ANY($4::text[])))`,
        { bind: [connectionId, keys.externalIds, keys.emails, keys.usernames], type: QueryTypes.SELECT },
      );
    },

    /** Which of these user ids exist already (users of other connections, for a batch's new ids). */
    async takenUserIds(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await sequelize.query<{ id: string }>(`SELECT id FROM users WHERE id = ANY($1::text[])`, {
        bind: [ids],
        type: QueryTypes.SELECT,
      });
      return new Set(rows.map((row) => row.id));
    },

    /**
     * A batch in one transaction: the new users and their identities (two multi-row INSERTs),
     * then the updated users and identities (two multi-row UPDATEs), then held sign-up passwords
     * an imported hash or a verified address settles. A unique constraint refusing any row
     * refuses the whole batch (StoreConflict), which the caller then writes user by user.
     */
    async writeBatch(connectionId: string, inserts: readonly ImportInsert[], updates: readonly ImportUpdate[]): Promise<void> {
      await reportingConflicts(
        sequelize.transaction(async (transaction) => {
          if (inserts.length > 0) {
            const bind = [JSON.stringify(inserts)];
            await sequelize.query(
              `INSERT INTO users (id, email, email_verified, username, name, nickname, given_name, family_name, picture, blocked,
                                  user_metadata, app_metadata)
               SELECT id, email, email_verified, username, name, nickname, given_name, family_name, picture, blocked,
                      user_metadata, app_metadata
                 FROM jsonb_to_recordset($1::jsonb) AS r(${USER_RECORD})`,
              { bind, transaction },
            );
            await sequelize.query(
              `INSERT INTO identities (user_id, connection_id, provider, external_id, is_social, profile_data, password_hash)
               SELECT id, $2, 'database', external_id, false, profile_data, password_hash
                 FROM jsonb_to_recordset($1::jsonb) AS r(id text, external_id text, profile_data jsonb, password_hash text)`,
              { bind: [...bind, connectionId], transaction },
            );
          }
          if (updates.length > 0) {
            const bind = [JSON.stringify(updates)];
            await sequelize.query(
              `UPDATE users u SET
                 email_verified = COALESCE(r.email_verified, u.email_verified), name = COALESCE(r.name, u.name),
                 nickname = COALESCE(r.nickname, u.nickname), given_name = COALESCE(r.given_name, u.given_name),
                 family_name = COALESCE(r.family_name, u.family_name), picture = COALESCE(r.picture, u.picture),
                 blocked = COALESCE(r.blocked, u.blocked), user_metadata = COALESCE(r.user_metadata, u.user_metadata),
                 app_metadata = COALESCE(r.app_metadata, u.app_metadata), updated_at = now()
                FROM jsonb_to_recordset($1::jsonb) AS r(${USER_RECORD})
               WHERE u.id = r.id`,
              { bind, transaction },
            );
            await sequelize.query(
              `UPDATE identities i SET password_hash = r.password_hash, updated_at = now()
                 FROM jsonb_to_recordset($1::jsonb) AS r(identity_id bigint, password_hash text)
                WHERE i.id = r.identity_id AND r.password_hash IS NOT NULL`,
              { bind, transaction },
            );
            // As users.update does: a hash given replaces a held sign-up password, a proven address releases it.
            await sequelize.query(
              `WITH settled AS (
                 DELETE FROM held_signup_passwords h USING jsonb_to_recordset($1::jsonb) AS r(id text, email_verified boolean, password_hash text)
                  WHERE h.user_id = r.id AND (r.password_hash IS NOT NULL OR r.email_verified)
                 RETURNING h.user_id, h.password_hash)
               UPDATE identities SET password_hash = settled.password_hash FROM settled
                WHERE identities.user_id = settled.user_id AND identities.provider = 'database' AND identities.password_hash IS NULL`,
              { bind, transaction },
            );
          }
        }),
      );
    },

    /** Says a node still runs (or queues) these jobs. */
    async touchJobs(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await sequelize.query(`UPDATE jobs SET updated_at = now() WHERE id = ANY($1::text[]) AND status IN ('pending', 'processing')`, {
        bind: [ids],
      });
    },

    /** Marks failed the unfinished imports no node has touched for `seconds`; returns how many. */
    async failAbandoned(seconds: number, failure: string): Promise<number> {
      const rows = await sequelize.query(
        `UPDATE jobs SET status = 'failed', failure = $2, updated_at = now()
          WHERE type = 'users_import' AND status IN ('pending', 'processing') AND updated_at < now() - make_interval(secs => $1)
          RETURNING id`,
        { bind: [seconds, failure], type: QueryTypes.SELECT },
      );
      return rows.length;
    },
  };
}

export type UsersImportQueries = ReturnType<typeof createUsersImportQueries>;
