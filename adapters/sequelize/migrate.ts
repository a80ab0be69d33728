/**
 * Versioned schema migrations (umzug), applied at every start before anything else touches
 * the database. The list is explicit so that a build and a source checkout run the same set.
 */
import type { Logger } from 'pino';
import { type Options, type QueryInterface, Sequelize } from 'sequelize';
import { type MigrationFn, SequelizeStorage, Umzug } from 'umzug';
import { holdAdvisoryLock } from './advisory-locks.js';
import * as initialSchema from './migrations/0001-initial-schema.js';
import * as userSearchIndexes from './migrations/0002-user-search-indexes.js';
import * as oidcAccountIndex from './migrations/0003-oidc-account-index.js';
import * as connectionLogins from './migrations/0004-connection-logins.js';
import * as ruleClaims from './migrations/0005-rule-claims.js';
import * as customIdentityLogins from './migrations/0006-custom-identity-logins.js';
import * as metadataPrefixSearch from './migrations/0007-metadata-prefix-search.js';
import * as resourceServers from './migrations/0008-resource-servers.js';
import * as consoleAdministrators from './migrations/0009-console-administrators.js';
import * as oidcPayloadWrites from './migrations/0010-oidc-payload-writes.js';
import * as mailOutbox from './migrations/0011-mail-outbox.js';
import * as accountTickets from './migrations/0012-account-tickets.js';
import * as ticketVerifiesEmail from './migrations/0013-ticket-verifies-email.js';
import * as heldSignupPasswords from './migrations/0014-held-signup-passwords.js';
import * as signupClosedOnUpgrade from './migrations/0015-signup-closed-on-upgrade.js';
import * as secondFactors from './migrations/0016-second-factors.js';
import * as webauthnCredentials from './migrations/0017-webauthn-credentials.js';
import * as jobs from './migrations/0018-jobs.js';
import * as jobFiles from './migrations/0020-job-files.js';

export type Migration = MigrationFn<QueryInterface>;

const migrations = [
  { name: '0001-initial-schema', ...initialSchema },
  { name: '0002-user-search-indexes', ...userSearchIndexes },
  { name: '0003-oidc-account-index', ...oidcAccountIndex },
  { name: '0004-connection-logins', ...connectionLogins },
  { name: '0005-rule-claims', ...ruleClaims },
  { name: '0006-custom-identity-logins', ...customIdentityLogins },
  { name: '0007-metadata-prefix-search', ...metadataPrefixSearch },
  { name: '0008-resource-servers', ...resourceServers },
  { name: '0009-console-administrators', ...consoleAdministrators },
  { name: '0010-oidc-payload-writes', ...oidcPayloadWrites },
  { name: '0011-mail-outbox', ...mailOutbox },
  { name: '0012-account-tickets', ...accountTickets },
  { name: '0013-ticket-verifies-email', ...ticketVerifiesEmail },
  { name: '0014-held-signup-passwords', ...heldSignupPasswords },
  { name: '0015-signup-closed-on-upgrade', ...signupClosedOnUpgrade },
  { name: '0016-second-factors', ...secondFactors },
  { name: '0017-webauthn-credentials', ...webauthnCredentials },
  { name: '0018-jobs', ...jobs },
  { name: '0020-job-files', ...jobFiles },
];

export async function migrate(sequelize: Sequelize, logger: Logger): Promise<void> {
  // A migration (an index on a large table) may rightly run longer than the application's
  // statement timeout allows any request: migrations get connections of their own without it.
  const { database, username, password } = sequelize.config;
  // Sequelize keeps its constructor options on the instance; its types leave them out.
  const { options } = sequelize as unknown as { options: Options };
  const unbounded = new Sequelize(database, username, password ?? undefined, {
    ...options,
    dialectOptions: { ...options.dialectOptions, statement_timeout: 0 },
    // One connection holds the lock below, one runs the migrations.
    pool: { max: 2, min: 0 },
  });
  const umzug = new Umzug({
    migrations,
    context: unbounded.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: unbounded, tableName: 'schema_migrations' }),
    logger: {
      info: (event) => logger.info(event, 'migration'),
      warn: (event) => logger.warn(event, 'migration'),
      error: (event) => logger.error(event, 'migration'),
      debug: (event) => logger.debug(event, 'migration'),
    },
  });
  try {
    // Two nodes starting together must not both apply the same migration.
    await unbounded.transaction(async (transaction) => {
      await holdAdvisoryLock(unbounded, 'migrations', transaction);
      await umzug.up();
    });
  } finally {
    await unbounded.close();
  }
}
