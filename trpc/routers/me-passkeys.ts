/**
 * me.passkeys: a person registering a passkey from the account page. registrationOptions opens
 * the browser's prompt; register keeps what the authenticator answered and returns it as one of
 * the person's authenticators (listed and removed through me.authenticators), with recovery codes
 * when it is their first factor, as confirmTotp does. Both need update:current_user. The ceremony
 * is server/mfa/passkeys.ts; the recovery codes server/mfa/passkey-enrolment.ts.
 */
import { registerPasskeyInput } from '../../server/mfa/passkey-schemas.js';
import { requireSelfScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const mePasskeysRouter = router({
  registrationOptions: requireSelfScope('update:current_user').mutation(({ ctx }) => ctx.services.passkeys.registrationOptions(ctx.userId)),

  register: requireSelfScope('update:current_user')
    .input(registerPasskeyInput)
    .mutation(({ ctx, input }) => ctx.services.passkeys.register(ctx.userId, input.response, input.name)),
});
