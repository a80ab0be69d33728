/**
 * users.authenticators.* and users.resetMfa: an operator's view of a user's second factors, as
 * Auth0's GET /users/{id}/authenticators and DELETE /users/{id}/authenticators. Removing needs
 * update:users and passes the takeover guard: a caller cannot strip the factors of a user who
 * holds scopes it lacks.
 */
import { userAuthenticatorInput, userAuthenticatorsInput } from '../../server/mfa/authenticator-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const userAuthenticatorsRouter = router({
  list: requireScope('read:users')
    .input(userAuthenticatorsInput)
    .query(async ({ ctx, input }) => {
      await ctx.services.users.checkManageable(input.id, undefined);
      return ctx.services.authenticators.list(input.id);
    }),

  delete: requireScope('update:users')
    .input(userAuthenticatorInput)
    .mutation(({ ctx, input }) => ctx.services.authenticators.remove(input.id, input.authenticator_id, ctx.caller.scopes)),
});

export const resetMfaProcedure = requireScope('update:users')
  .input(userAuthenticatorsInput)
  .mutation(({ ctx, input }) => ctx.services.authenticators.reset(input.id, ctx.caller.scopes));
