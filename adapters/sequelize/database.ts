/**
 * Opens the Sequelize connection pool, checks that PostgreSQL answers, applies migrations and
 * defines the models; from then on, the log says when PostgreSQL becomes unreachable and when it is back.
 */
import type { Logger } from 'pino';
import { Sequelize } from 'sequelize';
import { migrate } from './migrate.js';
import { defineModels, type Models } from './models.js';
import { logReachability } from './reachability.js';

export interface Database {
  readonly sequelize: Sequelize;
  readonly models: Models;
  /** Resolves once PostgreSQL answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

function describeTarget(url: string): string {
  const parsed = new URL(url);
  const socketDir = parsed.searchParams.get('host');
  return socketDir ? `${socketDir} (unix socket)${parsed.pathname}` : `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** `statementTimeoutMs`: PostgreSQL cancels a longer statement (SQLSTATE 57014); 0 means none. */
export async function openDatabase(url: string, logger: Logger, statementTimeoutMs = 0): Promise<Database> {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 10, min: 0, idle: 10_000, acquire: 10_000 },
    // A few heavy statements must not hold every pooled connection while logins wait.
    dialectOptions: { connectionTimeoutMillis: 5_000, statement_timeout: statementTimeoutMs },
  });
  try {
    await sequelize.authenticate();
  } catch (error) {
    await sequelize.close().catch(() => undefined);
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new DatabaseUnreachableError(`PostgreSQL at ${describeTarget(url)} is unreachable: ${reason}`);
  }
  logReachability(sequelize, describeTarget(url), logger);
  await migrate(sequelize, logger);
  return {
    sequelize,
    models: defineModels(sequelize),
    ping: async () => {
      await sequelize.query('SELECT 1');
    },
    close: () => sequelize.close(),
  };
}
