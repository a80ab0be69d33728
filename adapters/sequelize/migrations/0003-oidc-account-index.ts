/**
 * An account column on OIDC artifacts, so a deleted or blocked user's sessions and grants are
 * found by index rather than by scanning payloads.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    ALTER TABLE oidc_payloads ADD COLUMN account_id text;
    UPDATE oidc_payloads SET account_id = payload->>'accountId' WHERE payload ? 'accountId';
    CREATE INDEX oidc_payloads_account ON oidc_payloads (model, account_id) WHERE account_id IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`ALTER TABLE oidc_payloads DROP COLUMN account_id;`);
};
