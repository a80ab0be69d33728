/**
 * Authorization, as middleware that narrows the context: `requireScope(scope)` for management
 * procedures (machine tokens with that scope), `requireSelfScope(scope)` for a user's own
 * token (`me.*`), which also checks at every call that the user still exists and is not blocked.
 * Every authenticated call also counts against its caller's request limit.
 */
import { TRPCError } from '@trpc/server';
import { isDomainError } from '../../server/errors.js';
import type { ManagementScope, SelfServiceScope } from '../../server/oidc/management-api.js';
import { baseProcedure, middleware } from '../trpc.js';

const isAuthed = middleware(({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? 'missing bearer token' });
  return next({ ctx: { ...ctx, caller: ctx.caller } });
});

const authedProcedure = baseProcedure.use(isAuthed).use(async ({ ctx, next }) => {
  // After authentication, so a caller is counted by who it is, whatever its address.
  const { kind, clientId, subject } = ctx.caller;
  await ctx.services.requestLimit.take(`${kind}:${kind === 'client' ? clientId : subject}`);
  return next();
});

export function requireScope(scope: ManagementScope) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!ctx.caller.scopes.has(scope)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `insufficient scope: this call needs ${scope}` });
    }
    return next();
  });
}

const userProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.caller.kind !== 'user') {
    throw new TRPCError({ code: 'FORBIDDEN', message: "this call needs a user's own access token" });
  }
  return next({ ctx: { ...ctx, userId: ctx.caller.subject } });
});

/**
 * A user's token is a JWT that outlives a block or a deletion, so the user is read again at
 * every call: through the profile cache, which every committed block or deletion invalidates.
 */
export function requireSelfScope(scope: SelfServiceScope) {
  return userProcedure.use(async ({ ctx, next }) => {
    if (!ctx.caller.scopes.has(scope)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `insufficient scope: this call needs ${scope}` });
    }
    const profile = await ctx.services.users.get(ctx.userId).catch((error: unknown) => {
      if (isDomainError(error, 'user.not_found')) return undefined;
      throw error;
    });
    if (!profile) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'the user this token was issued to no longer exists' });
    if (profile.blocked) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'the user this token was issued to is blocked' });
    return next({ ctx: { ...ctx, profile } });
  });
}
