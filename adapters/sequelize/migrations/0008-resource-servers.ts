/**
 * The APIs clients ask access tokens for (Auth0's resource servers): each with its audience,
 * scopes, signing algorithm, token lifetime and the scopes each client was granted. The
 * built-in management API has a row only once an operator changes its settings.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE resource_servers (
      id text PRIMARY KEY,
      identifier text NOT NULL UNIQUE,
      name text NOT NULL,
      scopes jsonb NOT NULL DEFAULT '[]',
      signing_alg text NOT NULL DEFAULT 'RS256',
      token_lifetime integer NOT NULL,
      client_grants jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`DROP TABLE resource_servers;`);
};
