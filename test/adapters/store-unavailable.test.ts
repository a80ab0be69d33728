import { ConnectionAcquireTimeoutError, ConnectionRefusedError, DatabaseError, UniqueConstraintError } from 'sequelize';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable, markConnectionLost } from '../../adapters/store-unavailable.js';
import { asStoreUnavailable, DomainError } from '../../server/errors.js';

function postgresError(code: string, message: string) {
  return Object.assign(new Error(message), { code, severity: 'FATAL', sql: 'SELECT 1' });
}

describe('isStoreUnavailable', () => {
  it('recognises PostgreSQL refusing, dropping or not yet taking connections', () => {
    expect(
      isStoreUnavailable(
        new ConnectionRefusedError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
      ),
    ).toBe(true);
    expect(isStoreUnavailable(new ConnectionAcquireTimeoutError(new Error('Operation timeout')))).toBe(true);
    expect(isStoreUnavailable(new DatabaseError(postgresError('57P01', 'terminating connection due to administrator command')))).toBe(true);
    expect(isStoreUnavailable(new DatabaseError(postgresError('57P03', 'the database system is starting up')))).toBe(true);
    expect(isStoreUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isStoreUnavailable(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
  });

  it('recognises Redis away with no stand-in', () => {
    expect(isStoreUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isStoreUnavailable(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(
      isStoreUnavailable(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe(true);
  });

  it('recognises a socket error a PostgreSQL connection was lost with, once tagged, and as Sequelize wraps it', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    expect(isStoreUnavailable(reset)).toBe(false);
    markConnectionLost(reset);
    expect(isStoreUnavailable(reset)).toBe(true);
    expect(isStoreUnavailable(new DatabaseError(Object.assign(reset, { sql: 'SELECT 1' })))).toBe(true);
  });

  it('recognises a socket error Sequelize wraps even before the connection is tagged lost, since it came from PostgreSQL', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    expect(isStoreUnavailable(new DatabaseError(Object.assign(reset, { sql: 'SELECT 1' })))).toBe(true);
    const pipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    expect(isStoreUnavailable(new DatabaseError(Object.assign(pipe, { sql: 'SELECT 1' })))).toBe(true);
  });

  it('recognises an outage wrapped by another error', () => {
    expect(isStoreUnavailable(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
  });

  it('leaves query errors, bare socket errors of other services and plain errors alone', () => {
    expect(isStoreUnavailable(new UniqueConstraintError({ message: 'Validation error' }))).toBe(false);
    expect(
      isStoreUnavailable(new DatabaseError(Object.assign(new Error('syntax error'), { code: '42601', severity: 'ERROR', sql: 'SELEC 1' }))),
    ).toBe(false);
    expect(isStoreUnavailable(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:389'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isStoreUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isStoreUnavailable('Connection is closed.')).toBe(false);
  });
});

describe('asStoreUnavailable', () => {
  it('turns an outage into the store.unavailable domain error and keeps other domain errors as they are', () => {
    const outage = asStoreUnavailable(new Error('Connection terminated unexpectedly'));
    expect(outage).toMatchObject({ code: 'store.unavailable', trpcCode: 'SERVICE_UNAVAILABLE', oauthError: 'temporarily_unavailable' });
    const upstream = new DomainError('auth.upstream_failed', 'the directory did not answer', undefined, {
      cause: new Error('Connection is closed.'),
    });
    expect(asStoreUnavailable(upstream)).toBeUndefined();
    expect(asStoreUnavailable(new TypeError('x is undefined'))).toBeUndefined();
  });
});
