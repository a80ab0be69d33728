/**
 * Versioned schema migrations (umzug), applied at every start before anything else touches
 * the database. The list is explicit so that a build and a source checkout run the same set.
 */
import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type MigrationFn } from 'umzug';
import type { Logger } from '../../server/logger.js';
import * as initialSchema from './migrations/0001-initial-schema.js';
import * as userSearchIndexes from './migrations/0002-user-search-indexes.js';
import * as oidcAccountIndex from './migrations/0003-oidc-account-index.js';
import * as connectionLogins from './migrations/0004-connection-logins.js';
import * as ruleClaims from './migrations/0005-rule-claims.js';
import * as customIdentityLogins from './migrations/0006-custom-identity-logins.js';

export type Migration = MigrationFn<QueryInterface>;

const migrations = [
  { name: '0001-initial-schema', ...initialSchema },
  { name: '0002-user-search-indexes', ...userSearchIndexes },
  { name: '0003-oidc-account-index', ...oidcAccountIndex },
  { name: '0004-connection-logins', ...connectionLogins },
  { name: '0005-rule-claims', ...ruleClaims },
  { name: '0006-custom-identity-logins', ...customIdentityLogins },
];

export async function migrate(sequelize: Sequelize, logger: Logger): Promise<void> {
  const umzug = new Umzug({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (event) => logger.info(event, 'migration'),
      warn: (event) => logger.warn(event, 'migration'),
      error: (event) => logger.error(event, 'migration'),
      debug: (event) => logger.debug(event, 'migration'),
    },
  });
  // Two nodes starting together must not both apply the same migration.
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(7265373)', { transaction });
    await umzug.up();
  });
}
