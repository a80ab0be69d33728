/**
 * The account page's sessions, applications and account links (me.sessions, me.endSession,
 * me.applications, me.revokeApplication, me.link, me.unlink), spread into the me router.
 * Reading needs read:current_user; ending a session or an application's access needs
 * update:current_user; linking and unlinking need update:current_user_identities.
 */
import { endSessionInput, linkInput, revokeApplicationInput, unlinkInput } from '../../server/accounts/self-service-schemas.js';
import { requireSelfScope } from '../middleware/auth.js';
import { presentOwnProfile } from './present-profile.js';

export const meSessionsProcedures = {
  sessions: requireSelfScope('read:current_user').query(({ ctx }) => ctx.services.ownSessions.list(ctx.userId)),

  endSession: requireSelfScope('update:current_user')
    .input(endSessionInput)
    .mutation(({ ctx, input }) => ctx.services.ownSessions.end(ctx.userId, input.id)),

  applications: requireSelfScope('read:current_user').query(({ ctx }) => ctx.services.ownSessions.applications(ctx.userId)),

  revokeApplication: requireSelfScope('update:current_user')
    .input(revokeApplicationInput)
    .mutation(({ ctx, input }) => ctx.services.ownSessions.revokeApplication(ctx.userId, input.client_id)),

  link: requireSelfScope('update:current_user_identities')
    .input(linkInput)
    .mutation(async ({ ctx, input }) => presentOwnProfile(await ctx.services.ownIdentities.link(ctx.userId, input.id_token), ctx.caller)),

  unlink: requireSelfScope('update:current_user_identities')
    .input(unlinkInput)
    .mutation(async ({ ctx, input }) =>
      presentOwnProfile(await ctx.services.ownIdentities.unlink(ctx.userId, input.provider, input.user_id), ctx.caller),
    ),
};
