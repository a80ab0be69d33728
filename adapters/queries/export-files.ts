/**
 * SQL for the files users-export jobs write (migration 0020): numbered chunks of the gzipped file,
 * read back one at a time, and the sweep of files whose link expired or whose job died with its node.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';

export function createExportFileQueries(models: Models) {
  const { sequelize } = models;
  return {
    async appendChunk(jobId: string, position: number, chunk: Buffer): Promise<void> {
      await sequelize.query('INSERT INTO job_files (job_id, position, chunk) VALUES ($1, $2, $3)', { bind: [jobId, position, chunk] });
    },

    async chunk(jobId: string, position: number): Promise<Buffer | undefined> {
      const [row] = await sequelize.query<{ chunk: Buffer }>('SELECT chunk FROM job_files WHERE job_id = $1 AND position = $2', {
        bind: [jobId, position],
        type: QueryTypes.SELECT,
      });
      return row?.chunk;
    },

    /**
     * The file's size, and how many chunks it has by their last position, so a chunk gone missing
     * fails the download rather than shortening it; octet_length reads a chunk's size from its header.
     */
    async size(jobId: string): Promise<{ bytes: number; chunks: number }> {
      const [row] = await sequelize.query<{ bytes: string | null; chunks: number }>(
        'SELECT sum(octet_length(chunk))::text AS bytes, COALESCE(max(position) + 1, 0)::int AS chunks FROM job_files WHERE job_id = $1',
        { bind: [jobId], type: QueryTypes.SELECT },
      );
      return { bytes: Number(row?.bytes ?? 0), chunks: row?.chunks ?? 0 };
    },

    async remove(jobId: string): Promise<void> {
      await sequelize.query('DELETE FROM job_files WHERE job_id = $1', { bind: [jobId] });
    },

    /**
     * Deletes the files of links that expired (the job stays, without a location) and of failed
     * exports, after failing those whose node stopped mid-way: not moved since `staleBefore`,
     * where a running export moves at every percent.
     */
    async sweep(now: Date, staleBefore: Date, failure: string): Promise<void> {
      await sequelize.query(
        `UPDATE jobs SET status = 'failed', failure = $2, updated_at = now()
         WHERE type = 'users_export' AND status IN ('pending', 'processing') AND updated_at < $1`,
        { bind: [staleBefore, failure] },
      );
      await sequelize.query(
        `DELETE FROM job_files f USING jobs j WHERE f.job_id = j.id AND (j.location_expires_at <= $1 OR j.status = 'failed')`,
        { bind: [now] },
      );
    },
  };
}

export type ExportFileQueries = ReturnType<typeof createExportFileQueries>;
