/**
 * Authorization, as middleware that narrows the context: `requireScope(scope)` for management
 * procedures (machine tokens with that scope), `requireUser` for a user's own token (`me.*`).
 * Every authenticated call also counts against its caller's request limit.
 */
import { TRPCError } from '@trpc/server';
import type { ManagementScope } from '../../server/oidc/management-api.js';
import { baseProcedure, middleware } from '../trpc.js';

const isAuthed = middleware(({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? 'missing bearer token' });
  return next({ ctx: { ...ctx, caller: ctx.caller } });
});

export const authedProcedure = baseProcedure.use(isAuthed).use(async ({ ctx, next }) => {
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

export const userProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.caller.kind !== 'user') {
    throw new TRPCError({ code: 'FORBIDDEN', message: "this call needs a user's own access token" });
  }
  return next({ ctx: { ...ctx, userId: ctx.caller.subject } });
});
