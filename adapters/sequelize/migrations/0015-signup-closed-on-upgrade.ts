/**
 * Sign-up from the login page is on by default for new database connections. Connections made
 * before it existed took no sign-ups, and an upgrade must not open them to the public: they
 * keep that, as `disable_signup: true`, until an operator says otherwise. (Database options
 * hold no secrets, so they are plain JSON here.)
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    UPDATE connections SET options = options || '{"disable_signup": true}'::jsonb
     WHERE strategy = 'database' AND NOT options ? 'disable_signup'
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`UPDATE connections SET options = options - 'disable_signup' WHERE strategy = 'database'`);
};
