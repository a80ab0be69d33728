/**
 * Second factors of Tessera's own: authenticator apps (TOTP, RFC 6238) and recovery codes.
 * A TOTP secret is sealed with SEALING_KEY, bound to its row; `confirmed_at` is null until the
 * person proved with one code that their app holds the secret, and such a row is no factor yet.
 * `last_step` is the time step of the last code accepted, so a code is used once. Recovery codes
 * are kept as SHA-256 digests only. Both go with their user.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE totp_authenticators (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL,
      secret text NOT NULL,
      confirmed_at timestamptz,
      last_step bigint,
      last_used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX totp_authenticators_user ON totp_authenticators (user_id);
    CREATE TABLE recovery_codes (
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, code_hash)
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE recovery_codes; DROP TABLE totp_authenticators');
};
