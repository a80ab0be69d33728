/**
 * What the queries hand out: plain records with the columns their callers read, never
 * Sequelize instances, so nothing above adapters/ depends on the ORM or can save a row past
 * the queries. Each record is made from its row here, and only here.
 */
import type { ConnectionRow, IdentityRow, Json, UserRow } from '../sequelize/models.js';

export type { Json };

export interface UserRecord {
  id: string;
  email: string | null;
  email_verified: boolean;
  username: string | null;
  phone_number: string | null;
  phone_verified: boolean;
  name: string | null;
  nickname: string | null;
  given_name: string | null;
  family_name: string | null;
  picture: string | null;
  locale: string | null;
  user_metadata: Json;
  app_metadata: Json;
  blocked: boolean;
  /** Management API scopes the user holds (server/oidc/management-api.ts); empty for everyone but operators. */
  management_scopes: string[];
  logins_count: number;
  last_login: Date | null;
  last_ip: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ConnectionRecord {
  id: string;
  name: string;
  strategy: string;
  options: Json;
}

export interface IdentityRecord {
  /** A bigint, as PostgreSQL's driver returns it: text. */
  id: string;
  user_id: string;
  connection_id: string;
  provider: string;
  external_id: string;
  is_social: boolean;
  profile_data: Json;
  password_hash: string | null;
  /** Present when loaded with its user (findById, findByEmail, a search), absent on an identity found alone. */
  connection?: ConnectionRecord;
}

export interface UserWithIdentities {
  user: UserRecord;
  identities: IdentityRecord[];
}

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    email_verified: row.email_verified,
    username: row.username,
    phone_number: row.phone_number,
    phone_verified: row.phone_verified,
    name: row.name,
    nickname: row.nickname,
    given_name: row.given_name,
    family_name: row.family_name,
    picture: row.picture,
    locale: row.locale,
    user_metadata: row.user_metadata,
    app_metadata: row.app_metadata,
    blocked: row.blocked,
    management_scopes: row.management_scopes ?? [],
    logins_count: row.logins_count,
    last_login: row.last_login,
    last_ip: row.last_ip,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** `options` as the caller has them: opened by the connections' codec, or as stored where no one reads them. */
export function toConnectionRecord(row: ConnectionRow, options: Json): ConnectionRecord {
  return { id: row.id, name: row.name, strategy: row.strategy, options };
}

export function toIdentityRecord(row: IdentityRow, connection?: ConnectionRecord): IdentityRecord {
  return {
    id: row.id,
    user_id: row.user_id,
    connection_id: row.connection_id,
    provider: row.provider,
    external_id: row.external_id,
    is_social: row.is_social,
    profile_data: row.profile_data,
    password_hash: row.password_hash,
    ...(connection ? { connection } : {}),
  };
}
