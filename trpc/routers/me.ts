/**
 * me.*: a user reading and changing their own profile with their own access token
 * (obtained with resource=$ISSUER/api/v2/ and the self-service scope each call names); the
 * account page ($ISSUER/account) is written against these. app_metadata is the operator's and
 * read-only here; management_scopes are not shown (the token's own `scope` says what it may do).
 * The rules are in server/accounts/self-service.ts.
 */
import { changeEmailInput, changePasswordInput, deleteSelfInput, returnToInput } from '../../server/accounts/self-service-schemas.js';
import { ownAuthenticatorInput } from '../../server/mfa/authenticator-schemas.js';
import { confirmTotpInput, enrollTotpInput } from '../../server/mfa/enrolment-schemas.js';
import { selfChanges } from '../../server/users/user-schemas.js';
import { requireSelfScope } from '../middleware/auth.js';
import { router } from '../trpc.js';
import { mePasskeysRouter } from './me-passkeys.js';
import { meSessionsProcedures } from './me-sessions.js';
import { presentOwnProfile } from './present-profile.js';

/** A caller in the same process has no address: its attempts are counted together. */
const IN_PROCESS = 'in-process';

export const meRouter = router({
  get: requireSelfScope('read:current_user').query(({ ctx }) => presentOwnProfile(ctx.profile, ctx.caller)),

  settings: requireSelfScope('read:current_user').query(({ ctx }) => ctx.services.selfService.settings(ctx.userId)),

  update: requireSelfScope('update:current_user_metadata')
    .input(selfChanges)
    .mutation(async ({ ctx, input }) => presentOwnProfile(await ctx.services.selfService.update(ctx.userId, input), ctx.caller)),

  changePassword: requireSelfScope('update:current_user')
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => ctx.services.selfService.changePassword(ctx.userId, input, ctx.ip ?? IN_PROCESS)),

  changeEmail: requireSelfScope('update:current_user')
    .input(changeEmailInput)
    .mutation(({ ctx, input }) => ctx.services.selfService.changeEmail(ctx.userId, input)),

  delete: requireSelfScope('delete:current_user')
    .input(deleteSelfInput)
    .mutation(({ ctx }) => ctx.services.selfService.remove(ctx.userId)),

  returnTo: requireSelfScope('read:current_user')
    .input(returnToInput)
    .query(({ ctx, input }) => ctx.services.selfService.returnTo(input.url)),

  authenticators: router({
    list: requireSelfScope('read:current_user').query(({ ctx }) => ctx.services.authenticators.list(ctx.userId)),
    delete: requireSelfScope('update:current_user')
      .input(ownAuthenticatorInput)
      .mutation(({ ctx, input }) => ctx.services.authenticators.remove(ctx.userId, input.authenticator_id)),
    enrollTotp: requireSelfScope('update:current_user')
      .input(enrollTotpInput)
      .mutation(({ ctx, input }) => ctx.services.mfaEnrolment.enrollTotp(ctx.profile, input?.name)),
    confirmTotp: requireSelfScope('update:current_user')
      .input(confirmTotpInput)
      .mutation(({ ctx, input }) =>
        ctx.services.mfaEnrolment.confirmOwnTotp(ctx.userId, input.authenticator_id, input.code, ctx.ip ?? IN_PROCESS),
      ),
    regenerateRecoveryCodes: requireSelfScope('update:current_user').mutation(({ ctx }) =>
      ctx.services.mfaEnrolment.regenerateRecoveryCodes(ctx.userId),
    ),
  }),

  passkeys: mePasskeysRouter,

  ...meSessionsProcedures,
});
