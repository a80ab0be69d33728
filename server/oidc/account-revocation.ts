/**
 * Ends everything a user holds at once: every grant (with the access, refresh and other tokens
 * issued under it) and every session, wherever the adapters keep them; then tells each client
 * that registered a backchannel_logout_uri that its session ended.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html
 */
import { GRANT_BOUND_MODELS } from '../../adapters/oidc/grant-bound-models.js';
import type { AdapterFactory, AdapterPayload } from '../../adapters/oidc/types.js';

/** A client's login within a session: what a back-channel logout token names. */
export interface SessionLogin {
  clientId: string;
  sid: string;
}

export type NotifyLogout = (accountId: string, logins: SessionLogin[]) => Promise<void>;

/** The clients a session signed into, with the sid each was told. */
export function loginsOf(session: AdapterPayload | undefined): SessionLogin[] {
  const authorizations = ((session ? session['authorizations'] : undefined) ?? {}) as Record<string, { sid?: string }>;
  return Object.entries(authorizations).flatMap(([clientId, { sid }]) => (sid ? [{ clientId, sid }] : []));
}

/** A grant and every token issued under it, through the adapters oidc-provider itself uses (and so their memo and signals). */
export async function revokeGrant(adapter: AdapterFactory, grantId: string): Promise<void> {
  await Promise.all(GRANT_BOUND_MODELS.map((model) => adapter(model).revokeByGrantId(grantId)));
  await adapter('Grant').destroy(grantId);
}

export function createAccountRevocation(adapter: AdapterFactory, notifyLogout: NotifyLogout) {
  return async function revokeAccount(accountId: string): Promise<{ grants: number; sessions: number }> {
    const grants = adapter('Grant');
    const sessions = adapter('Session');
    const grantIds = await grants.idsByAccount(accountId);
    for (const grantId of grantIds) await revokeGrant(adapter, grantId);
    const sessionIds = await sessions.idsByAccount(accountId);
    const logins = (await Promise.all(sessionIds.map((id) => sessions.find(id)))).flatMap((session) => loginsOf(session ?? undefined));
    await Promise.all(sessionIds.map((id) => sessions.destroy(id)));
    if (logins.length > 0) await notifyLogout(accountId, logins);
    return { grants: grantIds.length, sessions: sessionIds.length };
  };
}

export type RevokeAccount = ReturnType<typeof createAccountRevocation>;
