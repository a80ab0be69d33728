/**
 * POST /jobs/users-exports: Auth0's users export over jobs.exportUsers. The job answers pending;
 * GET /jobs/{id} shows its progress and, once completed, its `location`.
 */
import { usersExportRequestSchema } from '../../../server/jobs/export-fields.js';
import { operation } from '../operation.js';

export const jobExportOperations = [
  operation({
    method: 'post',
    path: '/jobs/users-exports',
    operationId: 'post_users_exports',
    summary: 'Export users to a gzipped NDJSON or CSV file, downloaded from the finished job’s location',
    tag: 'Jobs',
    procedure: 'jobs.exportUsers',
    body: usersExportRequestSchema,
    input: ({ body }) => body,
    status: 201,
  }),
];
