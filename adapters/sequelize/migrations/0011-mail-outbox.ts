/**
 * The outbox of outgoing mail: a row is written in the transaction of what causes the message
 * and delivered by a worker on any node, so nothing is lost on restart. The partial index keeps
 * "what is due?" one probe however many sent messages are kept.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE mail_outbox (
      id uuid PRIMARY KEY,
      recipient text NOT NULL,
      kind text NOT NULL,
      message text NOT NULL,
      user_id text,
      status text NOT NULL DEFAULT 'pending',
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX mail_outbox_user ON mail_outbox (user_id, created_at) WHERE user_id IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE mail_outbox');
};
