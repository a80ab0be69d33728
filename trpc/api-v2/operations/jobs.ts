/**
 * /jobs: Auth0's bulk jobs over the jobs.* procedures.
 */
import { z } from 'zod';
import { jobIdSchema } from '../../routers/jobs.js';
import { operation } from '../operation.js';
import { queryBoolean } from '../query-params.js';

const jobIdParams = z.strictObject({ id: jobIdSchema });

/** Auth0's multipart form: every field is text, booleans as `true`/`false`. */
const usersImportForm = z.strictObject({
  users: z
    .string()
    .meta({ format: 'binary' })
    .describe('the file: a JSON array of users (Auth0’s bulk-import format) or NDJSON, one user a line'),
  connection_id: z.string(),
  upsert: queryBoolean.optional(),
  external_id: z.string().optional(),
  send_completion_email: queryBoolean.optional(),
});

export const jobOperations = [
  operation({
    method: 'post',
    path: '/jobs/users-imports',
    operationId: 'post_users_imports',
    summary: 'Import users into a database connection',
    tag: 'Jobs',
    procedure: 'jobs.importUsers',
    body: usersImportForm,
    bodyType: 'multipart',
    input: ({ body }) => ({
      connection_id: body.connection_id,
      users: body.users,
      ...(body.upsert === undefined ? {} : { upsert: body.upsert }),
      ...(body.external_id === undefined ? {} : { external_id: body.external_id }),
      ...(body.send_completion_email === undefined ? {} : { send_completion_email: body.send_completion_email }),
    }),
    status: 201,
  }),
  operation({
    method: 'get',
    path: '/jobs/{id}',
    operationId: 'get_jobs_by_id',
    summary: 'Get a job',
    tag: 'Jobs',
    procedure: 'jobs.get',
    params: jobIdParams,
    input: ({ params }) => ({ id: params.id }),
  }),
  operation({
    method: 'get',
    path: '/jobs/{id}/errors',
    operationId: 'get_errors',
    summary: 'Get the lines a users import refused',
    tag: 'Jobs',
    procedure: 'jobs.errors',
    params: jobIdParams,
    input: ({ params }) => ({ id: params.id }),
  }),
];
