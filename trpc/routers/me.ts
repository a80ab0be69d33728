/**
 * me.*: a user reading and changing their own profile with their own access token
 * (obtained with resource=$ISSUER/api/v2/). app_metadata is the operator's and read-only here.
 */
import { selfChanges } from '../../server/users/user-schemas.js';
import { userProcedure } from '../middleware/auth.js';
import { router } from '../trpc.js';
import { presentProfile } from './present-profile.js';

export const meRouter = router({
  get: userProcedure.query(async ({ ctx }) => presentProfile(await ctx.services.users.get(ctx.userId), ctx.caller)),

  update: userProcedure
    .input(selfChanges)
    .mutation(async ({ ctx, input }) => presentProfile(await ctx.services.users.update(ctx.userId, input), ctx.caller)),
});
