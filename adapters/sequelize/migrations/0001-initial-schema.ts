/**
 * The initial schema: profiles (users, identities), connections and their clients, OIDC
 * artifacts, and persisted key material.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE users (
      id text PRIMARY KEY,
      email text,
      email_verified boolean NOT NULL DEFAULT false,
      username text,
      phone_number text,
      phone_verified boolean NOT NULL DEFAULT false,
      name text,
      nickname text,
      given_name text,
      family_name text,
      picture text,
      locale text,
      user_metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      app_metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      blocked boolean NOT NULL DEFAULT false,
      logins_count integer NOT NULL DEFAULT 0,
      last_login timestamptz,
      last_ip text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX users_email_lower ON users (lower(email));

    CREATE TABLE connections (
      id text PRIMARY KEY,
      name text NOT NULL UNIQUE,
      strategy text NOT NULL,
      options jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE client_connections (
      client_id text NOT NULL,
      connection_id text NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
      PRIMARY KEY (client_id, connection_id)
    );
    CREATE INDEX client_connections_connection ON client_connections (connection_id);

    CREATE TABLE identities (
      id bigserial PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      connection_id text NOT NULL REFERENCES connections (id) ON DELETE RESTRICT,
      provider text NOT NULL,
      external_id text NOT NULL,
      is_social boolean NOT NULL DEFAULT false,
      profile_data jsonb NOT NULL DEFAULT '{}'::jsonb,
      password_hash text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (connection_id, external_id)
    );
    CREATE INDEX identities_user ON identities (user_id);
    CREATE UNIQUE INDEX identities_database_email ON identities (connection_id, lower(profile_data->>'email'))
      WHERE provider = 'database' AND profile_data ? 'email';
    CREATE UNIQUE INDEX identities_database_username ON identities (connection_id, lower(profile_data->>'username'))
      WHERE provider = 'database' AND profile_data ? 'username';

    CREATE TABLE oidc_payloads (
      model text NOT NULL,
      id text NOT NULL,
      payload jsonb NOT NULL,
      grant_id text,
      user_code text,
      uid text,
      expires_at timestamptz,
      consumed_at timestamptz,
      PRIMARY KEY (model, id)
    );
    CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
    CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;

    CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      private_jwk jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE secrets (
      name text PRIMARY KEY,
      value jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    DROP TABLE secrets, signing_keys, oidc_payloads, identities, client_connections, connections, users;
  `);
};
