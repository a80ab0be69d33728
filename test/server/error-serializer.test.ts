import { errors } from 'oidc-provider';
import { ConnectionRefusedError, DatabaseError, type Model, UniqueConstraintError, ValidationErrorItem } from 'sequelize';
import { describe, expect, it } from 'vitest';
import { serializeError } from '../../server/error-serializer.js';
import { DomainError } from '../../server/errors.js';

const SECRET = 'refresh-token-value-0123456789';

function failedQuery(code: string, message: string) {
  const driver = Object.assign(new Error(message), {
    code,
    severity: 'ERROR',
    detail: `Key (id)=(${SECRET}) already exists.`,
    sql: 'INSERT INTO "oidc_payloads" ("model","id","payload") VALUES ($1,$2,$3)',
    parameters: ['RefreshToken', SECRET, JSON.stringify({ accountId: 'user-1', grantId: SECRET })],
  });
  return new DatabaseError(driver);
}

describe('the error serializer of the log', () => {
  it('keeps type, code and message of a failed query and drops its SQL, parameters and detail', () => {
    const logged = serializeError(failedQuery('42P01', 'relation "oidc_payloads" does not exist'));
    expect(logged).toMatchObject({ type: 'SequelizeDatabaseError', code: '42P01', message: 'relation "oidc_payloads" does not exist' });
    const text = JSON.stringify(logged);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('INSERT');
  });

  it('drops the values a unique constraint error carries', () => {
    const error = new UniqueConstraintError({
      message: 'Validation error',
      errors: [new ValidationErrorItem('id must be unique', 'unique violation', 'id', SECRET, {} as Model, 'not_unique', 'unique', [])],
      fields: { id: SECRET },
      parent: Object.assign(new Error('duplicate key value violates unique constraint "oidc_payloads_pkey"'), {
        code: '23505',
        detail: `Key (id)=(${SECRET})`,
        sql: 'INSERT INTO "oidc_payloads" ("id") VALUES ($1)',
      }),
    });
    expect(JSON.stringify(serializeError(error))).not.toContain(SECRET);
  });

  it('gives the stack of an internal error only', () => {
    expect(serializeError(new TypeError('x is undefined'))).toMatchObject({
      type: 'TypeError',
      stack: expect.stringContaining('TypeError: x is undefined'),
    });
    expect(JSON.stringify(serializeError(new ConnectionRefusedError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))))).not.toContain(
      'stack',
    );
    expect(serializeError(new Error('render failed', { cause: new TypeError('x is undefined') }))).toMatchObject({
      stack: expect.any(String),
      cause: { stack: expect.any(String) },
    });
    expect(serializeError(new DomainError('user.not_found', 'user u1 does not exist', 'id'))).toEqual({
      type: 'DomainError',
      code: 'user.not_found',
      message: 'user u1 does not exist',
    });
    expect(serializeError(new errors.InvalidGrant('grant request is invalid'))).toEqual({
      type: 'InvalidGrant',
      code: 'invalid_grant',
      message: 'invalid_grant',
    });
  });

  it('follows what an error wraps the same way', () => {
    const logged = serializeError(
      new Error('refresh failed', { cause: failedQuery('57P01', 'terminating connection due to administrator command') }),
    );
    expect(logged).toMatchObject({ type: 'Error', cause: { type: 'SequelizeDatabaseError', code: '57P01' } });
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  });

  it('keeps a message logged as a string', () => {
    expect(serializeError('connect ECONNREFUSED')).toBe('connect ECONNREFUSED');
  });
});
