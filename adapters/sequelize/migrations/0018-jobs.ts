/**
 * Bulk jobs, as Auth0's /jobs: a users import or export that runs after the request that started
 * it, reported by any node from these rows. `options` keeps what the job was asked (upsert,
 * format, fields…), `summary` its counts; an export's download link is stored as a digest only.
 * Lines an import refused are kept in job_errors, in the order of the file.
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE jobs (
      id text PRIMARY KEY,
      type text NOT NULL CHECK (type IN ('users_import', 'users_export')),
      status text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
      connection_id text,
      options jsonb NOT NULL DEFAULT '{}'::jsonb,
      summary jsonb,
      percentage_done integer NOT NULL DEFAULT 0 CHECK (percentage_done BETWEEN 0 AND 100),
      failure text,
      location_digest text UNIQUE,
      location_expires_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE job_errors (
      job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
      position integer NOT NULL,
      "user" jsonb NOT NULL,
      errors jsonb NOT NULL,
      PRIMARY KEY (job_id, position)
    );
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE job_errors; DROP TABLE jobs');
};
