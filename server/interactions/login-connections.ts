/**
 * Which of a client's enabled connections a login page offers, and which one a login uses.
 */
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { type Strategies, strategyTraits } from '../connections/strategies.js';

export interface LoginConnections {
  /** Take a username and password: database first, then ldap and custom. */
  credentials: ConnectionRecord[];
  /** Send the browser upstream: oidc, saml. */
  redirects: ConnectionRecord[];
}

const credentialOrder = (connection: ConnectionRecord) => (strategyTraits(connection.strategy)?.offeredFirst ? 0 : 1);

/** `requested` (the authorization request's `connection=`) narrows the offer to that one connection. */
export function splitConnections(
  enabled: readonly ConnectionRecord[],
  strategies: Strategies,
  requested: string | undefined,
): LoginConnections {
  const offered = requested === undefined ? enabled : enabled.filter((connection) => connection.name === requested);
  const credentials: ConnectionRecord[] = [];
  const redirects: ConnectionRecord[] = [];
  for (const connection of offered) {
    if (strategies.get(connection.strategy)?.kind === 'credentials') credentials.push(connection);
    else if (strategies.get(connection.strategy)?.kind === 'redirect') redirects.push(connection);
  }
  credentials.sort((a, b) => credentialOrder(a) - credentialOrder(b) || a.name.localeCompare(b.name));
  return { credentials, redirects };
}
