/**
 * /jobs: Auth0's bulk jobs over the jobs.* procedures.
 */
import { z } from 'zod';
import { jobIdSchema } from '../../routers/jobs.js';
import { operation } from '../operation.js';

const jobIdParams = z.strictObject({ id: jobIdSchema });

export const jobOperations = [
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
