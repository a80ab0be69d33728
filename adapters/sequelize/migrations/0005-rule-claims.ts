/**
 * The custom claims post-login rules set at a user's latest login to a client, read back when
 * that client's ID tokens and access tokens are issued, refreshes included.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE rule_claims (
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      client_id text NOT NULL,
      id_token jsonb NOT NULL,
      access_token jsonb NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, client_id)
    );
    CREATE INDEX rule_claims_expires ON rule_claims (expires_at);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`DROP TABLE rule_claims;`);
};
