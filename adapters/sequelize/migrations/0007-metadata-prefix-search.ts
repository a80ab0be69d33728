/**
 * An index for prefix searches inside user_metadata and app_metadata (`user_metadata.team:acme*`),
 * which the jsonb_path_ops indexes of 0002 cannot answer: they serve containment (exact values)
 * only, so a prefix used to read every row; and finer statistics for the bare-term prefixes. Each document becomes a tsvector of `path=value`
 * lexemes, and a GIN index over it answers a `path=prefix:*` query by a range of its keys.
 * @see https://www.postgresql.org/docs/current/textsearch-indexes.html
 */
import type { Migration } from '../migrate.js';

// Every key path (array positions as keys, as `#>>` reads them) with the text `#>>` returns
// there, so the index finds a superset of what `document #>> path LIKE 'prefix%'` matches; the
// search keeps that comparison beside it, which removes the few extra rows (keys holding dots,
// texts past the cut). Paths and values are cut to 100 and 200 characters: a lexeme must stay
// under 2,047 bytes, and the query side (user-search-sql.ts) cuts its prefix the same way.
// Its COST tells the planner that a row costs tens of microseconds: a scan that filters with it
// then compares the cheap LIKE first, and the planner prefers the index to reading many rows.
const TERMS_FUNCTION = `
  CREATE OR REPLACE FUNCTION tessera_metadata_terms(document jsonb) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    WITH RECURSIVE node (path, value) AS (
      SELECT NULL::text, document
      UNION ALL
      SELECT concat_ws('.', node.path, child.key), child.value
        FROM node
        CROSS JOIN LATERAL (
          SELECT key, value FROM jsonb_each(CASE WHEN jsonb_typeof(node.value) = 'object' THEN node.value END)
          UNION ALL
          SELECT (position - 1)::text, value
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(node.value) = 'array' THEN node.value END) WITH ORDINALITY AS element (value, position)
        ) AS child
    )
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT left(path, 100) || '=' || left(value #>> '{}', 200)), '{}'))
      FROM node
     WHERE path IS NOT NULL AND jsonb_typeof(value) <> 'null'
  $$`;

// One statement per call: CREATE INDEX CONCURRENTLY refuses to run inside a transaction block,
// and a multi-statement string is one. Concurrently, so a deployment with millions of users
// keeps accepting sign-ups and profile updates while the index builds. A build cut short leaves
// an invalid index behind, and the migration is not recorded: the next start drops it and builds anew.
const INDEXES = [
  ['users_user_metadata_terms', 'user_metadata'],
  ['users_app_metadata_terms', 'app_metadata'],
] as const;

// A bare term (`amy`) is a prefix on these four; with the default 100 histogram buckets,
// PostgreSQL took a prefix shared by 50,000 of ten million users for one shared by 3,000, and
// sorted them all (760 ms) instead of walking created_at (16 ms). A finer histogram costs ANALYZE
// a larger sample and nothing at write time.
const FINER_STATISTICS = ['users_email_prefix', 'users_name_prefix', 'users_nickname_prefix', 'users_username_prefix'];

export const up: Migration = async ({ context: queryInterface }) => {
  for (const index of FINER_STATISTICS) await queryInterface.sequelize.query(`ALTER INDEX ${index} ALTER COLUMN 1 SET STATISTICS 1000`);
  await queryInterface.sequelize.query(TERMS_FUNCTION);
  for (const [name, column] of INDEXES) {
    await queryInterface.sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    await queryInterface.sequelize.query(`CREATE INDEX CONCURRENTLY ${name} ON users USING gin (tessera_metadata_terms(${column}))`);
  }
};

export const down: Migration = async ({ context: queryInterface }) => {
  for (const index of FINER_STATISTICS) {
    await queryInterface.sequelize.query(`ALTER INDEX IF EXISTS ${index} ALTER COLUMN 1 SET STATISTICS -1`);
  }
  for (const [name] of INDEXES) await queryInterface.sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  await queryInterface.sequelize.query('DROP FUNCTION IF EXISTS tessera_metadata_terms(jsonb)');
};
