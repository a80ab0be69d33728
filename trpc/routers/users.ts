/**
 * users.*: the operator's view of every user (docs/contract.md's procedure table).
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { profileFields } from '../../server/profiles/profile-fields.js';
import { createUserInput, listUsersInput, updateUserInput, userIdSchema } from '../../server/users/user-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';
import { presentProfile, presentProfilesWithIdpTokens, presentProfileWithIdpTokens } from './present-profile.js';
import { resetMfaProcedure, userAuthenticatorsRouter } from './user-authenticators.js';

export const usersRouter = router({
  /** `verify_email`: also queue the message that verifies the new user's address, as Auth0's create can. */
  create: requireScope('create:users')
    .input(createUserInput.extend({ verify_email: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { verify_email: verifyEmail, ...user } = input;
      const profile = await ctx.services.users.create(user, ctx.caller.scopes);
      if (verifyEmail && profile.email !== undefined) {
        await ctx.services.tickets.sendVerificationEmail(profile.user_id, undefined, ctx.caller.scopes);
      }
      return presentProfile(profile, ctx.caller);
    }),

  get: requireScope('read:users')
    .input(z.strictObject({ id: userIdSchema, fields: profileFields.optional() }))
    .query(async ({ ctx, input }) =>
      presentProfileWithIdpTokens(await ctx.services.users.get(input.id), ctx.caller, ctx.services.idpTokens, input.fields),
    ),

  list: requireScope('read:users')
    .input(listUsersInput)
    .query(async ({ ctx, input }) => {
      const page = await ctx.services.users.list(input);
      return { ...page, users: await presentProfilesWithIdpTokens(page.users, ctx.caller, ctx.services.idpTokens, input.fields) };
    }),

  getByEmail: requireScope('read:users')
    .input(z.strictObject({ email: z.string().min(1).max(512), fields: profileFields.optional() }))
    .query(async ({ ctx, input }) =>
      presentProfilesWithIdpTokens(await ctx.services.users.getByEmail(input.email), ctx.caller, ctx.services.idpTokens, input.fields),
    ),

  /**
   * Metadata merges at the top level (SPEC: `{}` changes nothing). Auth0's PATCH, which /api/v2
   * serves, clears metadata patched with `{}`: that call sets `clear_empty_metadata`.
   * `verify_email` decides whether a verification message goes out; `connection` must name the
   * user's own identity's.
   */
  update: requireScope('update:users')
    .input(
      updateUserInput.extend({
        verify_email: z.boolean().optional(),
        connection: createUserInput.shape.connection.optional(),
        clear_empty_metadata: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { id, verify_email: verifyEmail, connection, clear_empty_metadata: emptyMetadataClears, ...changes } = input;
      const options = { verifyEmail, connection, emptyMetadataClears };
      return presentProfile(await ctx.services.users.update(id, changes, ctx.caller.scopes, options), ctx.caller);
    }),

  unblock: requireScope('update:users')
    .input(z.strictObject({ id: userIdSchema }))
    .mutation(({ ctx, input }) => ctx.services.users.unblock(input.id)),

  delete: requireScope('delete:users')
    .input(z.strictObject({ id: userIdSchema }))
    .mutation(({ ctx, input }) => ctx.services.users.remove(input.id, ctx.caller.scopes)),

  link: requireScope('update:users')
    .input(z.strictObject({ id: userIdSchema, link_with: userIdSchema }))
    .mutation(({ ctx, input }) => ctx.services.users.link(input.id, input.link_with, ctx.caller.scopes)),

  unlink: requireScope('update:users')
    .input(z.strictObject({ id: userIdSchema, provider: z.string().min(1).max(128), user_id: z.string().min(1).max(512) }))
    .mutation(({ ctx, input }) => ctx.services.users.unlink(input.id, input.provider, input.user_id, ctx.caller.scopes)),

  /** Queues the message that verifies the user's current email address. */
  sendVerificationEmail: requireScope('update:users')
    .input(z.strictObject({ id: userIdSchema, client_id: z.string().min(1).max(256).optional() }))
    .mutation(({ ctx, input }) => ctx.services.tickets.sendVerificationEmail(input.id, input.client_id, ctx.caller.scopes)),

  /** The user's recent messages and whether they went out: kind, status, attempts, last error; never the message. */
  mail: requireScope('read:users')
    .input(z.strictObject({ id: userIdSchema }))
    .query(async ({ ctx, input }) => {
      // NOT_FOUND for an id that is no user, as users.get answers, rather than an empty list.
      await ctx.services.users.get(input.id);
      return (await ctx.services.mail.forUser(input.id)).map((row) => ({
        ...row,
        created_at: row.created_at.toISOString(),
        sent_at: row.sent_at?.toISOString() ?? null,
      }));
    }),

  authenticators: userAuthenticatorsRouter,

  /** Removes every second factor of the user, as Auth0's "reset MFA". */
  resetMfa: resetMfaProcedure,

  events: requireScope('read:users')
    .input(z.strictObject({ user_id: userIdSchema.optional(), lastEventId: z.string().max(128).optional() }))
    .subscription(({ ctx, input, signal }) => {
      // Subscribing before iterating takes the subscriber's slot (or is refused) at once.
      const events = ctx.services.events.subscribe({
        userId: input.user_id,
        lastEventId: input.lastEventId,
        signal,
        subscriber: ctx.caller.subject,
      });
      return (async function* () {
        for await (const event of events) yield tracked(event.id, { type: event.type, user_id: event.user_id, at: event.at });
      })();
    }),
});
