/**
 * The admin console's administrators: users hold management scopes like machine clients, and a
 * fresh install hands out single-use setup tokens (stored hashed) to create the first of them.
 * Adding a column with a constant default rewrites no rows (PostgreSQL 11+); the partial index
 * keeps "is there an administrator yet?" one index probe however many users there are.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    ALTER TABLE users ADD COLUMN management_scopes text[] NOT NULL DEFAULT '{}';
    CREATE INDEX users_with_management_scopes ON users (id) WHERE management_scopes <> '{}';
    CREATE TABLE admin_setup_tokens (
      token_hash text PRIMARY KEY,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    DROP TABLE admin_setup_tokens;
    DROP INDEX users_with_management_scopes;
    ALTER TABLE users DROP COLUMN management_scopes;
  `);
};
