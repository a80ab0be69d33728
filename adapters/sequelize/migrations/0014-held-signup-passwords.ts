/**
 * The password a person chose at sign-up, held apart from their identity until they verify
 * their address. Until then the identity has no password, so logging in with the pair fails
 * exactly as it does for an address that already had an account: signing up and then trying
 * to log in tells nobody whether the address was taken.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE held_signup_passwords (
      user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE held_signup_passwords');
};
