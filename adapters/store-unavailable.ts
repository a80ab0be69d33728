/**
 * The one place that tells "a store is down" from every other failure: PostgreSQL that refuses,
 * drops or cannot yet take connections, and Redis that is away when nothing stands in for it.
 * Such a request is answered 503 and retried by the client; anything else is a genuine error.
 *
 * Recognised by the stores' own error classes, SQLSTATE codes and the fixed messages of
 * node-postgres and ioredis, never by a bare socket code: an upstream identity provider or a
 * custom database script that refuses a connection is not Tessera's store going down. A socket
 * error Sequelize wraps did come from the store, though.
 */
import { ConnectionError, BaseError as SequelizeError } from 'sequelize';

// Class 08: connection exception. 57P01-57P03: the server is shutting down, crashed, or not
// yet accepting connections. 53300: too many connections.
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[1-3]|53300)$/;

// node-postgres reports a lost or unusable connection as a plain Error with one of these messages.
const POSTGRES_CONNECTION_LOST = [
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];

const REDIS_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const REDIS_UNAVAILABLE = [
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'None of startup nodes is available',
  'Failed to refresh slots cache.',
];

// A query whose connection broke under it fails with the socket's own error, and can do so
// before node-postgres reports the connection lost (and markConnectionLost tags the error).
const SOCKET_FAILURES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTCONN']);

const MAX_DEPTH = 5;

const CONNECTION_LOST = Symbol('store connection lost');

/**
 * Tags an error with which a store connection was lost, such as a socket reset while
 * PostgreSQL shuts down: node-postgres fails the connection's queries with that same error,
 * which is then recognised by its tag (a bare ECONNRESET could come from any service).
 */
export function markConnectionLost(error: unknown): void {
  if (error instanceof Error && !(CONNECTION_LOST in error)) Object.defineProperty(error, CONNECTION_LOST, { value: true });
}

const isSocketFailure = (error: unknown) => error instanceof Error && SOCKET_FAILURES.has(String((error as { code?: unknown }).code));

function isUnavailableItself(error: Error): boolean {
  if (error instanceof ConnectionError || CONNECTION_LOST in error) return true;
  if (error instanceof SequelizeError && wrapped(error).some(isSocketFailure)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_SQLSTATES.test(code) && 'severity' in error) return true;
  if (REDIS_ERROR_NAMES.has(error.name)) return true;
  return POSTGRES_CONNECTION_LOST.includes(error.message) || REDIS_UNAVAILABLE.includes(error.message);
}

/** The errors an error wraps: Sequelize keeps the driver's as `parent`/`original`, others as `cause`. */
function wrapped(error: Error): unknown[] {
  const { parent, original, cause } = error as { parent?: unknown; original?: unknown; cause?: unknown };
  return [parent, original, cause].filter((inner) => inner !== undefined && inner !== error);
}

/** Whether the error, or one it wraps, says that PostgreSQL or Redis cannot be reached. */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > MAX_DEPTH) return false;
  return isUnavailableItself(error) || wrapped(error).some((inner) => isStoreUnavailable(inner, depth + 1));
}
