/**
 * The strategy table: per kind of connection, the login strategy behind it (built once with
 * what they share and closed with Tessera: LDAP pools, for one) and the traits the rules
 * outside the login read, so no rule elsewhere names a strategy.
 */
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { Logger } from '../logger.js';
import type { LoginRehash } from '../password-hashes/login-rehash.js';
import type { ConnectionStrategy } from './connection-schemas.js';
import type { ScriptRunner } from './custom/script.js';
import { createCustomStrategy } from './custom/strategy.js';
import { createDatabaseStrategy, databaseOptionsSchema, raiseToPasswordFloor } from './database-connection.js';
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
  /** Replaces an imported or outdated password hash once a login has verified it. */
  rehash: LoginRehash;
}

export type Closable<T> = T & { close?(): Promise<void> };

/** What the rules outside the login itself know of a strategy. */
export interface StrategyTraits {
  /**
   * Tessera holds its users' passwords and login names (email, username) itself: users.create
   * makes them, users.update changes them, and an identity carries them when linked away.
   */
  readonly ownsCredentials: boolean;
  /**
   * Its users live in a legacy database its scripts reach: users.create, update and delete ask
   * the script first (./custom/lifecycle.ts).
   */
  readonly scriptedUsers: boolean;
  /** Enabled for a client that names no connections (clients.create, the CLI). */
  readonly enabledForNewClients: boolean;
  /** Listed first among the login form's connections. */
  readonly offeredFirst: boolean;
  /** Its upstream can be reached on demand, before any login (connections.check, the console's "try"). */
  readonly checkable: boolean;
  /** Stored options as the API shows them, defaults filled in; when absent, as stored. */
  readonly readOptions?: (stored: unknown) => Record<string, unknown>;
}

interface StrategyEntry extends StrategyTraits {
  create(deps: StrategyDependencies): Closable<LoginStrategy>;
}

const UPSTREAM: StrategyTraits = {
  ownsCredentials: false,
  scriptedUsers: false,
  enabledForNewClients: false,
  offeredFirst: false,
  checkable: false,
};

const TABLE: Record<ConnectionStrategy, StrategyEntry> = {
  // The default connection is stored bare, so its defaults are filled in when shown.
  database: {
    create: createDatabaseStrategy,
    ownsCredentials: true,
    scriptedUsers: false,
    enabledForNewClients: true,
    offeredFirst: true,
    checkable: false,
    readOptions: (stored) => databaseOptionsSchema.parse(raiseToPasswordFloor(stored)),
  },
  oidc: { create: createOidcStrategy, ...UPSTREAM, checkable: true },
  ldap: { create: createLdapStrategy, ...UPSTREAM, checkable: true },
  saml: { create: createSamlStrategy, ...UPSTREAM },
  custom: { create: createCustomStrategy, ...UPSTREAM, scriptedUsers: true },
};

const isKnown = (strategy: string): strategy is ConnectionStrategy => Object.hasOwn(TABLE, strategy);

/** The traits of a strategy (a connection's `strategy`, an identity's `provider`); undefined for a name Tessera does not know. */
export function strategyTraits(strategy: string): StrategyTraits | undefined {
  return isKnown(strategy) ? TABLE[strategy] : undefined;
}

export interface Strategies {
  get(strategy: string): LoginStrategy | undefined;
  close(): Promise<void>;
}

export function createStrategies(deps: StrategyDependencies): Strategies {
  const byName = Object.fromEntries(Object.entries(TABLE).map(([name, entry]) => [name, entry.create(deps)])) as Record<
    ConnectionStrategy,
    Closable<LoginStrategy>
  >;
  return {
    get: (strategy) => (isKnown(strategy) ? byName[strategy] : undefined),
    async close() {
      await Promise.all(Object.values(byName).map((strategy) => strategy.close?.()));
    },
  };
}
