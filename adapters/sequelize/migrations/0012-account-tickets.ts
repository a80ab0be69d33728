/**
 * Tickets: the single-use links of account mail (verify an email, reset a password, confirm a
 * new email). Only the token's SHA-256 is stored. `credential_stamp` is a digest of the user's
 * email and password hashes when the ticket was made, so any change to either kills it, by
 * whatever path the change came. A user's tickets go with the user.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE account_tickets (
      token_hash text PRIMARY KEY,
      purpose text NOT NULL,
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      email text,
      credential_stamp text NOT NULL,
      client_id text,
      result_url text,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX account_tickets_user ON account_tickets (user_id);
    CREATE INDEX account_tickets_expiry ON account_tickets USING brin (expires_at);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE account_tickets');
};
