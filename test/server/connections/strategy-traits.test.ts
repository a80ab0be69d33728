/**
 * The strategy table's traits: every strategy connections.create accepts has them, a name
 * Tessera does not know has none (so no rule applies to it), and only the database strategy
 * holds its users' credentials itself.
 */
import { describe, expect, it } from 'vitest';
import { CONNECTION_STRATEGIES } from '../../../server/connections/connection-schemas.js';
import { strategyTraits } from '../../../server/connections/strategies.js';

describe('strategy traits', () => {
  it('are known for every strategy connections.create accepts, and for no other name', () => {
    for (const strategy of CONNECTION_STRATEGIES) expect(strategyTraits(strategy)).toBeDefined();
    for (const unknown of ['kerberos', 'toString', '__proto__', '']) expect(strategyTraits(unknown)).toBeUndefined();
  });

  it('give credentials, new clients and the first place on the login form to database connections only', () => {
    const owning = CONNECTION_STRATEGIES.filter((strategy) => strategyTraits(strategy)?.ownsCredentials);
    expect(owning).toEqual(['database']);
    expect(CONNECTION_STRATEGIES.filter((strategy) => strategyTraits(strategy)?.enabledForNewClients)).toEqual(owning);
    expect(CONNECTION_STRATEGIES.filter((strategy) => strategyTraits(strategy)?.offeredFirst)).toEqual(owning);
  });

  it('send users.create, update and delete through scripts for custom connections only', () => {
    expect(CONNECTION_STRATEGIES.filter((strategy) => strategyTraits(strategy)?.scriptedUsers)).toEqual(['custom']);
  });

  it('let connections.check reach the upstream of oidc and ldap connections only', () => {
    expect(CONNECTION_STRATEGIES.filter((strategy) => strategyTraits(strategy)?.checkable)).toEqual(['oidc', 'ldap']);
  });

  it('fill in a bare database connection’s defaults and raise a stored length below the floor', () => {
    const read = strategyTraits('database')?.readOptions;
    expect(read?.({})).toEqual({ password_policy: { min_length: 8 }, requires_username: false, disable_signup: false });
    expect(read?.({ password_policy: { min_length: 4 } })).toEqual({
      password_policy: { min_length: 8 },
      requires_username: false,
      disable_signup: false,
    });
    expect(strategyTraits('oidc')?.readOptions).toBeUndefined();
  });
});
