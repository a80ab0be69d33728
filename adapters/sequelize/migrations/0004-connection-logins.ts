/**
 * What logins through connections need: upstream identity providers' tokens on the identity
 * (sealed, and out of profile_data so they never reach the profile cache); login flows that
 * wait for an upstream's answer; and the ids already seen (SAML assertions), to refuse replays.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    ALTER TABLE identities ADD COLUMN idp_tokens text;

    CREATE TABLE login_flows (
      id text PRIMARY KEY,
      payload jsonb NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX login_flows_expires ON login_flows (expires_at);

    CREATE TABLE replay_cache (
      key text PRIMARY KEY,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX replay_cache_expires ON replay_cache (expires_at);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    DROP TABLE replay_cache, login_flows;
    ALTER TABLE identities DROP COLUMN idp_tokens;
  `);
};
