/**
 * Authorization, as middleware that narrows the context: `requireScope(scope)` for management
 * procedures (machine tokens, or an operator's own token, with that scope), `requireSelfScope(scope)`
 * for a user's own token (`me.*`). A user's token is checked at every call against the user as
 * they are now: still there, not blocked, still holding the scope.
 * Every authenticated call also counts against its caller's request limit.
 */
import { TRPCError } from '@trpc/server';
import { isDomainError } from '../../server/errors.js';
import type { ApiCaller } from '../../server/oidc/access-tokens.js';
import { allowedManagementScopes, type ManagementScope, type SelfServiceScope } from '../../server/oidc/management-api.js';
import type { Context } from '../context.js';
import { baseProcedure, middleware } from '../trpc.js';

const isAuthed = middleware(({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? 'missing bearer token' });
  return next({ ctx: { ...ctx, caller: ctx.caller } });
});

const authedProcedure = baseProcedure.use(isAuthed).use(async ({ ctx, next }) => {
  // After authentication, so a caller is counted by who it is, whatever its address.
  const { kind, clientId, subject } = ctx.caller;
  // Taken apart from the report: an optional call skips its arguments when nobody listens (/trpc).
  const state = await ctx.services.requestLimit.take(`${kind}:${kind === 'client' ? clientId : subject}`);
  ctx.reportLimit?.(state);
  return next();
});

/**
 * A user's token is a JWT that outlives a block, a deletion or a removed management scope, so
 * the user is read again at every call: through the profile cache, which every committed
 * write invalidates on every node.
 */
async function liveUser(ctx: { services: Context['services']; caller: ApiCaller }) {
  const profile = await ctx.services.users.get(ctx.caller.subject).catch((error: unknown) => {
    if (isDomainError(error, 'user.not_found')) return undefined;
    throw error;
  });
  if (!profile) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'the user this token was issued to no longer exists' });
  if (profile.blocked) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'the user this token was issued to is blocked' });
  return profile;
}

const insufficientScope = (scope: string) => new TRPCError({ code: 'FORBIDDEN', message: `insufficient scope: this call needs ${scope}` });

/**
 * Machine tokens and operators' own tokens alike, by their scopes. An operator's token counts
 * only the scopes the user still holds: taking a scope away ends it at once, not at the
 * token's expiry, and every check after this one (granting, idp tokens) sees the narrowed set.
 */
export function requireScope(scope: ManagementScope) {
  return authedProcedure.meta({ scopes: [scope] }).use(async ({ ctx, next }) => {
    if (!ctx.caller.scopes.has(scope)) throw insufficientScope(scope);
    if (ctx.caller.kind !== 'user') return next();
    const held = new Set(allowedManagementScopes((await liveUser(ctx)).management_scopes));
    if (!held.has(scope)) throw new TRPCError({ code: 'FORBIDDEN', message: `insufficient scope: the user no longer holds ${scope}` });
    const scopes = new Set([...ctx.caller.scopes].filter((granted) => held.has(granted as ManagementScope)));
    return next({ ctx: { ...ctx, caller: { ...ctx.caller, scopes } } });
  });
}

const userProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.caller.kind !== 'user') {
    throw new TRPCError({ code: 'FORBIDDEN', message: "this call needs a user's own access token" });
  }
  return next({ ctx: { ...ctx, userId: ctx.caller.subject } });
});

export function requireSelfScope(scope: SelfServiceScope) {
  return userProcedure.meta({ scopes: [scope] }).use(async ({ ctx, next }) => {
    if (!ctx.caller.scopes.has(scope)) throw insufficientScope(scope);
    return next({ ctx: { ...ctx, profile: await liveUser(ctx) } });
  });
}
