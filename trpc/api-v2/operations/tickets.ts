/**
 * /tickets: Auth0's verification and password-change links over tickets.*. Auth0's `ttl_sec: 0`
 * means the default lifetime; a ticket is always for a `user_id` (Auth0's email + connection_id
 * form, organizations and secondary identities are refused as unknown properties).
 */
import { z } from 'zod';
import { passwordChangeTicketInput, verifyEmailTicketInput } from '../../routers/tickets.js';
import { operation } from '../operation.js';

const auth0Fields = {
  ttl_sec: z.literal(0).or(verifyEmailTicketInput.shape.ttl_sec.unwrap()).optional(),
  // The link carries no address either way; asking for none is what Tessera does.
  includeEmailInRedirect: z.literal(false).optional(),
};

const verifyEmailBody = verifyEmailTicketInput.extend(auth0Fields);
const passwordChangeBody = passwordChangeTicketInput.extend(auth0Fields);

const ticketAnswer = z.object({ ticket: z.url() });

/** The procedure's input: Auth0's extras read, 0 seconds as the default lifetime. */
function ticketInput<T extends { ttl_sec?: number | undefined; includeEmailInRedirect?: false | undefined }>(body: T) {
  const { ttl_sec: ttl, includeEmailInRedirect: _noEmail, ...rest } = body;
  return { ...rest, ...(ttl ? { ttl_sec: ttl } : {}) };
}

export const ticketOperations = [
  operation({
    method: 'post',
    path: '/tickets/email-verification',
    operationId: 'post_email_verification',
    summary: 'Create a link that verifies a user’s email address',
    tag: 'Tickets',
    procedure: 'tickets.verifyEmail',
    body: verifyEmailBody,
    input: ({ body }) => ticketInput(body),
    status: 201,
    response: ticketAnswer,
  }),
  operation({
    method: 'post',
    path: '/tickets/password-change',
    operationId: 'post_password_change',
    summary: 'Create a link that sets a user’s new password',
    tag: 'Tickets',
    procedure: 'tickets.passwordChange',
    body: passwordChangeBody,
    input: ({ body }) => ticketInput(body),
    status: 201,
    response: ticketAnswer,
  }),
];
