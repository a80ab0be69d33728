/**
 * jobs.*: bulk users import and export, as Auth0's /jobs. A job runs after the call that starts it;
 * any node reports it.
 */
import { z } from 'zod';
import { usersExportRequestSchema } from '../../server/jobs/export-fields.js';
import { importUsersInput } from '../../server/jobs/users-import-input.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const jobIdSchema = z.string().regex(/^job_[A-Za-z0-9_-]{1,64}$/, 'must look like job_<id>');

export const jobsRouter = router({
  get: requireScope('read:users')
    .input(z.strictObject({ id: jobIdSchema }))
    .query(({ ctx, input }) => ctx.services.jobs.get(input.id)),

  errors: requireScope('read:users')
    .input(z.strictObject({ id: jobIdSchema }))
    .query(({ ctx, input }) => ctx.services.jobs.errors(input.id)),

  /** Starts Auth0's bulk users import into a database connection; answers the pending job. */
  importUsers: requireScope('create:users')
    .input(importUsersInput)
    .mutation(({ ctx, input }) =>
      ctx.services.usersImport.start(input, {
        createdBy: ctx.caller.subject,
        scopes: ctx.caller.scopes,
      }),
    ),

  exportUsers: requireScope('read:users')
    .input(usersExportRequestSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.usersExport.start(input, ctx.caller.kind === 'client' ? ctx.caller.clientId : ctx.caller.subject),
    ),
});
