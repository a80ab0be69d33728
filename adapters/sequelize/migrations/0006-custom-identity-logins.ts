/**
 * A custom database connection with import_users finds the imported identity by the email or
 * username its script returned, at every login: the same lookups the database connection has,
 * without their uniqueness, since the legacy system decides what is unique.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE INDEX identities_custom_email ON identities (connection_id, lower(profile_data->>'email')) WHERE provider = 'custom';
    CREATE INDEX identities_custom_username ON identities (connection_id, lower(profile_data->>'username')) WHERE provider = 'custom';
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`DROP INDEX identities_custom_username, identities_custom_email`);
};
