/**
 * Cheaper token writes. Every refresh inserts two rows (the new access and refresh tokens) and
 * marks the old refresh token consumed; these indexes and this page layout are what PostgreSQL
 * pays for each.
 * - The account index holds only grants and sessions: account revocation (account-revocation.ts)
 *   looks up nothing else by account, and tokens are ended through their grant. Tokens, codes
 *   and interactions no longer add an entry each.
 * - Expiry is a BRIN index: the sweep (sweepExpiredPayloads) is the only reader, rows arrive
 *   roughly in the order they expire, and a BRIN index summarises whole ranges of pages instead
 *   of taking an entry per row, so an insert hardly touches it.
 * - Pages keep a fifth free, so marking a token consumed (a column no index holds) rewrites the
 *   row in place of its page (a HOT update) instead of adding an entry to every index.
 * @see https://www.postgresql.org/docs/current/storage-hot.html
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE INDEX oidc_payloads_account_holders ON oidc_payloads (model, account_id)
     WHERE account_id IS NOT NULL AND model IN ('Grant', 'Session');
    DROP INDEX oidc_payloads_account;
    CREATE INDEX oidc_payloads_expiry_ranges ON oidc_payloads USING brin (expires_at);
    DROP INDEX oidc_payloads_expires;
    ALTER TABLE oidc_payloads SET (fillfactor = 80);
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE INDEX oidc_payloads_account ON oidc_payloads (model, account_id) WHERE account_id IS NOT NULL;
    DROP INDEX oidc_payloads_account_holders;
    CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
    DROP INDEX oidc_payloads_expiry_ranges;
    ALTER TABLE oidc_payloads RESET (fillfactor);
  `);
};
