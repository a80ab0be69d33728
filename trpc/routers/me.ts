/**
 * me.*: a user reading and changing their own profile with their own access token
 * (obtained with resource=$ISSUER/api/v2/ and the self-service scope each call names).
 * app_metadata is the operator's and read-only here; management_scopes are not shown (the token's
 * own `scope` says what it may do).
 */
import { selfChanges } from '../../server/users/user-schemas.js';
import { requireSelfScope } from '../middleware/auth.js';
import { router } from '../trpc.js';
import { meSessionsProcedures } from './me-sessions.js';
import { presentOwnProfile } from './present-profile.js';

export const meRouter = router({
  get: requireSelfScope('read:current_user').query(({ ctx }) => presentOwnProfile(ctx.profile, ctx.caller)),

  update: requireSelfScope('update:current_user_metadata')
    .input(selfChanges)
    .mutation(async ({ ctx, input }) => presentOwnProfile(await ctx.services.users.update(ctx.userId, input), ctx.caller)),

  ...meSessionsProcedures,
});
