/**
 * The passkeys people register (WebAuthn credentials): the public key an assertion is checked
 * against, the signature counter that must only grow, and what the authenticator said of itself
 * (transports for the browser's next prompt; device type and backup state, which tell a passkey
 * bound to one device from a synced one). A credential id belongs to one user only.
 * @see https://www.w3.org/TR/webauthn-3/#credential-record
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE webauthn_credentials (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      credential_id text NOT NULL UNIQUE,
      public_key bytea NOT NULL,
      counter bigint NOT NULL DEFAULT 0,
      transports text[] NOT NULL DEFAULT '{}',
      device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
      backed_up boolean NOT NULL,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz
    );
    CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE webauthn_credentials');
};
