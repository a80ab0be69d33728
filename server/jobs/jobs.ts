/**
 * Bulk jobs as Auth0's /jobs answers them: a job by its id, with what it was asked, its status
 * and counts, and the lines an import refused. The jobs themselves (users-import.ts,
 * users-export.ts) create rows through `create` and report through `progress`.
 */
import { randomBytes } from 'node:crypto';
import type { JobErrorRow, JobProgress, JobQueries, JobRow, JobType } from '../../adapters/queries/jobs.js';
import { DomainError } from '../errors.js';

/** Auth0's shape: `job_` and 16 characters. */
export function newJobId(): string {
  return `job_${randomBytes(12).toString('base64url')}`;
}

/** A job as GET /jobs/{id} shows it: its options at the top level, as Auth0 does. */
export interface JobView {
  id: string;
  type: JobType;
  status: JobRow['status'];
  created_at: string;
  connection_id?: string;
  percentage_done: number;
  summary?: Record<string, unknown>;
  /** Why a job failed as a whole (a file that is no JSON, a connection deleted meanwhile). */
  failure?: string;
  /** A finished export's download link, while it lasts (export-link.ts). */
  location?: string;
  [option: string]: unknown;
}

export function presentJob(row: JobRow, location?: string): JobView {
  return {
    ...row.options,
    id: row.id,
    type: row.type,
    status: row.status,
    created_at: row.created_at.toISOString(),
    ...(row.connection_id ? { connection_id: row.connection_id } : {}),
    percentage_done: row.percentage_done,
    ...(row.summary ? { summary: row.summary } : {}),
    ...(row.failure ? { failure: row.failure } : {}),
    ...(location ? { location } : {}),
  };
}

export interface JobError {
  user: unknown;
  errors: unknown;
}

export interface Jobs {
  create(job: { type: JobType; connectionId?: string | undefined; options: Record<string, unknown>; createdBy: string }): Promise<JobView>;
  get(id: string): Promise<JobView>;
  /** The refused lines of an import, in file order, as GET /jobs/{id}/errors answers them. */
  errors(id: string): Promise<JobError[]>;
  progress(id: string, progress: JobProgress): Promise<void>;
  addErrors(id: string, errors: readonly JobErrorRow[]): Promise<void>;
}

const jobNotFound = () => new DomainError('job.not_found', 'The job does not exist.');

/** `locate` gives a job's download link, for the exports that have one (export-link.ts's exportLocation). */
export function createJobs(queries: JobQueries, locate: (row: JobRow) => string | undefined = () => undefined): Jobs {
  return {
    async create({ type, connectionId, options, createdBy }) {
      return presentJob(await queries.insert({ id: newJobId(), type, connectionId, options, createdBy }));
    },
    async get(id) {
      const row = await queries.get(id);
      if (!row) throw jobNotFound();
      return presentJob(row, locate(row));
    },
    async errors(id) {
      if (!(await queries.get(id))) throw jobNotFound();
      return (await queries.errors(id)).map(({ user, errors }) => ({ user, errors }));
    },
    progress: (id, progress) => queries.progress(id, progress),
    addErrors: (id, errors) => queries.addErrors(id, errors),
  };
}
