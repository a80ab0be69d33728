/**
 * tickets.*: links an operator hands over instead of a message Tessera sends, with Auth0's
 * shapes (`{ticket}`): one that verifies a user's email, one that sets a new password.
 */
import { z } from 'zod';
import { userIdSchema } from '../../server/users/user-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

/** At most 30 days: a link is a credential, and one that lives for months is one nobody remembers handing out. */
const MAX_TICKET_TTL_SECONDS = 30 * 24 * 60 * 60;

const ticketFields = {
  user_id: userIdSchema,
  result_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  ttl_sec: z.number().int().min(1).max(MAX_TICKET_TTL_SECONDS).optional(),
  client_id: z.string().min(1).max(256).optional(),
};

export const verifyEmailTicketInput = z.strictObject(ticketFields);
export const passwordChangeTicketInput = z.strictObject({ ...ticketFields, mark_email_as_verified: z.boolean().optional() });

export const ticketsRouter = router({
  verifyEmail: requireScope('update:users')
    .input(verifyEmailTicketInput)
    .mutation(({ ctx, input }) => ctx.services.tickets.verifyEmail(input, ctx.caller.scopes)),

  passwordChange: requireScope('update:users')
    .input(passwordChangeTicketInput)
    .mutation(({ ctx, input }) => ctx.services.tickets.passwordChange(input, ctx.caller.scopes)),
});
