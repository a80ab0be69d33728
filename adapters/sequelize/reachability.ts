/**
 * Says once that PostgreSQL became unreachable and once that it is back, as the Redis
 * connection does, rather than one error per request that failed meanwhile. Unreachable: a new
 * connection could not be opened; back: one begun after the last failure was opened. Also tags
 * the error each connection is lost with, so the queries it fails count as an outage (503),
 * not as a fault.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ConnectionError, type Sequelize } from 'sequelize';
import { markConnectionLost } from '../store-unavailable.js';

/** Sequelize v6 opens each pooled connection through its dialect's `connect` (no hook sees a failure). */
type DialectConnectionManager = Sequelize['connectionManager'] & { connect(config: unknown): Promise<object> };

export function logReachability(sequelize: Sequelize, target: string, logger: Logger): void {
  let down = false;
  // Bumped by every failed attempt: a handshake begun before a failure and finished after it
  // (PostgreSQL starting to shut down meanwhile) does not count as PostgreSQL being back.
  let failures = 0;
  const manager = sequelize.connectionManager as DialectConnectionManager;
  const connect = manager.connect.bind(manager);
  manager.connect = async (config: unknown) => {
    const failuresBefore = failures;
    let connection: object;
    try {
      connection = await connect(config);
    } catch (error) {
      failures += 1;
      if (!down && error instanceof ConnectionError) {
        down = true;
        logger.warn({ target, reason: error.message }, 'postgres unreachable: answering 503 until it is back');
      }
      throw error;
    }
    // node-postgres emits the error right after handing it to the failed queries, which see it a tick later.
    (connection as EventEmitter).on('error', markConnectionLost);
    if (down && failures === failuresBefore) {
      down = false;
      logger.info({ target }, 'postgres back');
    }
    return connection;
  };
}
