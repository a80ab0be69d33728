/**
 * SQL for bulk jobs (migration 0018): rows any node reads, written by the node running the job.
 * No rules here: the services in server/jobs/ say what a job's options and summary hold.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';

export type JobType = 'users_import' | 'users_export';
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface JobRow {
  readonly id: string;
  readonly type: JobType;
  readonly status: JobStatus;
  readonly connection_id: string | null;
  readonly options: Record<string, unknown>;
  readonly summary: Record<string, unknown> | null;
  readonly percentage_done: number;
  readonly failure: string | null;
  readonly location_expires_at: Date | null;
  readonly created_by: string;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface NewJob {
  readonly id: string;
  readonly type: JobType;
  readonly connectionId: string | undefined;
  readonly options: Record<string, unknown>;
  readonly createdBy: string;
}

export interface JobProgress {
  readonly status?: JobStatus;
  readonly summary?: Record<string, unknown>;
  readonly percentageDone?: number;
  readonly failure?: string;
}

export interface JobErrorRow {
  readonly position: number;
  readonly user: unknown;
  readonly errors: unknown;
}

const COLUMNS = `id, type, status, connection_id, options, summary, percentage_done, failure, location_expires_at, created_by, created_at, updated_at`;

export function createJobQueries(models: Models) {
  const { sequelize } = models;
  return {
    async insert(job: NewJob): Promise<JobRow> {
      const [row] = await sequelize.query<JobRow>(
        `INSERT INTO jobs (id, type, status, connection_id, options, created_by) VALUES ($1, $2, 'pending', $3, $4, $5) RETURNING ${COLUMNS}`,
        { bind: [job.id, job.type, job.connectionId ?? null, JSON.stringify(job.options), job.createdBy], type: QueryTypes.SELECT },
      );
      if (!row) throw new Error('INSERT … RETURNING gave no row');
      return row;
    },

    async get(id: string): Promise<JobRow | undefined> {
      const [row] = await sequelize.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, { bind: [id], type: QueryTypes.SELECT });
      return row;
    },

    /** Sets what changed; fields left undefined keep their value. */
    async progress(id: string, progress: JobProgress): Promise<void> {
      await sequelize.query(
        `UPDATE jobs SET status = COALESCE($2, status), summary = COALESCE($3::jsonb, summary),
           percentage_done = COALESCE($4, percentage_done), failure = COALESCE($5, failure), updated_at = now()
         WHERE id = $1`,
        {
          bind: [
            id,
            progress.status ?? null,
            progress.summary ? JSON.stringify(progress.summary) : null,
            progress.percentageDone ?? null,
            progress.failure ?? null,
          ],
        },
      );
    },

    /** Records an export's download link, by its digest, and when it stops working. */
    async setLocation(id: string, digest: string, expiresAt: Date): Promise<void> {
      await sequelize.query(`UPDATE jobs SET location_digest = $2, location_expires_at = $3, updated_at = now() WHERE id = $1`, {
        bind: [id, digest, expiresAt],
      });
    },

    /** The job a download link's digest names, while the link lasts. */
    async byLocation(digest: string, now: Date): Promise<JobRow | undefined> {
      const [row] = await sequelize.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE location_digest = $1 AND location_expires_at > $2`, {
        bind: [digest, now],
        type: QueryTypes.SELECT,
      });
      return row;
    },

    async addErrors(id: string, errors: readonly JobErrorRow[]): Promise<void> {
      if (errors.length === 0) return;
      await sequelize.query(
        `INSERT INTO job_errors (job_id, position, "user", errors)
         SELECT $1, e.position, e."user", e.errors FROM jsonb_to_recordset($2::jsonb) AS e(position integer, "user" jsonb, errors jsonb)
         ON CONFLICT (job_id, position) DO UPDATE SET "user" = EXCLUDED."user", errors = EXCLUDED.errors`,
        { bind: [id, JSON.stringify(errors)] },
      );
    },

    async errors(id: string): Promise<JobErrorRow[]> {
      return sequelize.query<JobErrorRow>(`SELECT position, "user", errors FROM job_errors WHERE job_id = $1 ORDER BY position`, {
        bind: [id],
        type: QueryTypes.SELECT,
      });
    },
  };
}

export type JobQueries = ReturnType<typeof createJobQueries>;
