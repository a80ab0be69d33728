/**
 * Says once that PostgreSQL became unreachable and once that it is back, as the Redis
 * connection does, rather than one error per request that failed meanwhile. Unreachable: the
 * pool could not open a connection; back: it opened one again. Also tags the error each
 * connection is lost with, so the queries it fails count as an outage (503), not as a fault.
 */
import type { EventEmitter } from 'node:events';
import { ConnectionAcquireTimeoutError, ConnectionError, type Sequelize } from 'sequelize';
import type { Logger } from '../../server/logger.js';
import { markConnectionLost } from '../store-unavailable.js';

export function logReachability(sequelize: Sequelize, target: string, logger: Logger): void {
  let down = false;
  const { connectionManager } = sequelize;
  const getConnection = connectionManager.getConnection.bind(connectionManager);
  connectionManager.getConnection = async (options) => {
    try {
      return await getConnection(options);
    } catch (error) {
      // A full pool is load, not an outage: its connections still reach PostgreSQL.
      if (!down && error instanceof ConnectionError && !(error instanceof ConnectionAcquireTimeoutError)) {
        down = true;
        logger.warn({ target, reason: error.message }, 'postgres unreachable: answering 503 until it is back');
      }
      throw error;
    }
  };
  sequelize.addHook('afterConnect', (connection) => {
    // node-postgres emits the error right after handing it to the failed queries, which see it a tick later.
    (connection as EventEmitter).on('error', markConnectionLost);
    if (!down) return;
    down = false;
    logger.info({ target }, 'postgres back');
  });
}
