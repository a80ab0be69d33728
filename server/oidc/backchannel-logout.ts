/**
 * Sends OIDC back-channel logout tokens, through oidc-provider's own client support, to every
 * client of an ended session that registered a backchannel_logout_uri. A client that does not
 * answer is logged, never allowed to fail the revocation that ended the session.
 */
import type Provider from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { NotifyLogout } from './account-revocation.js';

interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

export function createBackchannelNotifier(currentProvider: () => Provider, logger: Logger): NotifyLogout {
  return async (accountId, logins) => {
    const results = await Promise.allSettled(
      logins.map(async ({ clientId, sid }) => {
        // @types/oidc-provider does not declare the back-channel members oidc-provider's Client has.
        const client = (await currentProvider().Client.find(clientId)) as BackchannelClient | undefined;
        if (!client?.backchannelLogoutUri) return;
        await client.backchannelLogout(accountId, sid);
      }),
    );
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') {
        logger.warn({ client_id: logins[index]?.clientId, err: String(result.reason) }, 'back-channel logout not delivered');
      }
    }
  };
}
