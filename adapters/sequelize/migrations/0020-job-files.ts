/**
 * The files users-export jobs write: the gzipped export in numbered chunks, in PostgreSQL so that
 * any node serves a job's download link, not only the node that ran it. A chunk is already
 * compressed, so PostgreSQL keeps it out of line without compressing it again (STORAGE EXTERNAL).
 */
import type { Migration } from '../migrate.js';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query(`
    CREATE TABLE job_files (
      job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
      position integer NOT NULL,
      chunk bytea NOT NULL,
      PRIMARY KEY (job_id, position)
    );
    ALTER TABLE job_files ALTER COLUMN chunk SET STORAGE EXTERNAL;
  `);
};

export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.sequelize.query('DROP TABLE job_files');
};
