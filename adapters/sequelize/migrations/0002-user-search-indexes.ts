/**
 * Indexes for users.list's search, on the very expressions adapters/queries/user-search-sql.ts
 * compares: lower(column) for case-insensitive fields, jsonb containment for metadata, and
 * (created_at, id) for default order and checkpoint paging.
 */
import type { Migration } from '../migrate.js';

// Prefixes use btree text_pattern_ops, which answers `=` and `LIKE 'abc%'` in any collation;
// search takes no leading or inner wildcard, so a pg_trgm index would cost writes for nothing.
// Email and name, the common prefix searches, also carry the column, created_at and id: a
// prefix shared by thousands of users then sorts its matches by created_at from the index
// alone (an index-only scan) instead of one heap page per match (docs/benchmarks.md).
// last_login, logins_count and updated_at change at every login or update: indexing them
// would turn those updates from HOT into index writes, so their ranges scan instead.
export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE INDEX users_email_prefix ON users (lower(email) text_pattern_ops) INCLUDE (email, created_at, id);
    CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);
    CREATE INDEX users_name_prefix ON users (lower(name) text_pattern_ops) INCLUDE (name, created_at, id);
    CREATE INDEX users_nickname_prefix ON users (lower(nickname) text_pattern_ops);
    CREATE INDEX users_given_name_prefix ON users (lower(given_name) text_pattern_ops);
    CREATE INDEX users_family_name_prefix ON users (lower(family_name) text_pattern_ops);
    CREATE INDEX users_phone_number ON users (phone_number text_pattern_ops);
    CREATE INDEX users_created_at_id ON users (created_at, id);
    CREATE INDEX users_user_metadata ON users USING gin (user_metadata jsonb_path_ops);
    CREATE INDEX users_app_metadata ON users USING gin (app_metadata jsonb_path_ops);
    CREATE INDEX identities_external_id ON identities (external_id text_pattern_ops);
    CREATE INDEX identities_provider_user ON identities (provider, user_id);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    DROP INDEX IF EXISTS users_email_prefix, users_username_prefix, users_name_prefix, users_nickname_prefix,
      users_given_name_prefix, users_family_name_prefix, users_phone_number, users_created_at_id,
      users_user_metadata, users_app_metadata, identities_external_id, identities_provider_user;
  `);
};
