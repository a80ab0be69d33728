/**
 * A reset ticket may also mark the email verified when used (Auth0's `mark_email_as_verified`
 * on tickets.passwordChange): the choice is made when the ticket is issued, so it is kept with it.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('ALTER TABLE account_tickets ADD COLUMN mark_email_verified boolean NOT NULL DEFAULT false');
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('ALTER TABLE account_tickets DROP COLUMN mark_email_verified');
};
