/**
 * The login strategy behind each kind of connection, built once with what they share and
 * closed with Tessera (LDAP pools, for one).
 */
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { Logger } from '../logger.js';
import type { ConnectionStrategy } from './connection-schemas.js';
import type { ScriptRunner } from './custom/script.js';
import { createCustomStrategy } from './custom/strategy.js';
import { createLdapStrategy } from './ldap/strategy.js';
import { createOidcStrategy } from './oidc/strategy.js';
import { createSamlStrategy } from './saml/strategy.js';
import type { LoginStrategy } from './strategy.js';

export interface StrategyDependencies {
  issuer: string;
  logger: Logger;
  users: UserQueries;
  flows: LoginFlowQueries;
  /** The one runner of custom database scripts, shared with users.create/update/delete. */
  scripts: ScriptRunner;
}

export type Closable<T> = T & { close?(): Promise<void> };

/** `database` is absent: its users are Tessera's own and need no normalization. */
export type UpstreamStrategy = Exclude<ConnectionStrategy, 'database'>;

export interface Strategies {
  get(strategy: string): LoginStrategy | undefined;
  close(): Promise<void>;
}

export function createStrategies(deps: StrategyDependencies): Strategies {
  const byName: Record<UpstreamStrategy, Closable<LoginStrategy>> = {
    oidc: createOidcStrategy(deps),
    ldap: createLdapStrategy(deps),
    saml: createSamlStrategy(deps),
    custom: createCustomStrategy(deps),
  };
  return {
    get: (strategy) => (Object.hasOwn(byName, strategy) ? byName[strategy as UpstreamStrategy] : undefined),
    async close() {
      await Promise.all(Object.values(byName).map((strategy) => strategy.close?.()));
    },
  };
}
