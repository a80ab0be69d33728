/**
 * Ends everything a user holds at once: every grant (with the access, refresh and other tokens
 * issued under it) and every session, wherever the adapters keep them.
 */
import type { AdapterFactory } from '../../adapters/oidc/types.js';

const GRANT_BOUND_MODELS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'];

export function createAccountRevocation(adapter: AdapterFactory) {
  return async function revokeAccount(accountId: string): Promise<{ grants: number; sessions: number }> {
    const grants = adapter('Grant');
    const sessions = adapter('Session');
    const grantIds = await grants.idsByAccount(accountId);
    for (const grantId of grantIds) {
      await Promise.all(GRANT_BOUND_MODELS.map((model) => adapter(model).revokeByGrantId(grantId)));
      await grants.destroy(grantId);
    }
    const sessionIds = await sessions.idsByAccount(accountId);
    await Promise.all(sessionIds.map((id) => sessions.destroy(id)));
    return { grants: grantIds.length, sessions: sessionIds.length };
  };
}

export type RevokeAccount = ReturnType<typeof createAccountRevocation>;
