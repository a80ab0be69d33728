import { describe, expect, it } from 'vitest';
import {
  auth0Connection,
  auth0CreateConnectionBody,
  auth0StrategyName,
  createConnectionInputOf,
  strategyName,
} from '../../../trpc/api-v2/auth0-connection-shape.js';
import { selectFields } from '../../../trpc/api-v2/field-selection.js';

describe('Auth0’s connection shape', () => {
  it('names database auth0 and saml samlp, and reads both names back', () => {
    expect(auth0StrategyName('database')).toBe('auth0');
    expect(auth0StrategyName('saml')).toBe('samlp');
    expect(auth0StrategyName('oidc')).toBe('oidc');
    expect(strategyName.parse('auth0')).toBe('database');
    expect(strategyName.parse('database')).toBe('database');
    expect(strategyName.parse('samlp')).toBe('saml');
    expect(strategyName.safeParse('google-oauth2').success).toBe(false);
  });

  it('answers a view in Auth0’s shape, its display name being its name', () => {
    expect(auth0Connection({ id: 'con_1', name: 'Staff', strategy: 'database', options: { a: 1 }, enabled_clients: ['x'] })).toEqual({
      id: 'con_1',
      name: 'Staff',
      display_name: 'Staff',
      strategy: 'auth0',
      options: { a: 1 },
      enabled_clients: ['x'],
    });
  });

  it('translates a create body into connections.create’s input, leaving out what was not given', () => {
    const parse = (body: unknown) => createConnectionInputOf(auth0CreateConnectionBody.parse(body));
    expect(parse({ name: 'Staff', strategy: 'auth0', display_name: 'Staff' })).toEqual({ name: 'Staff', strategy: 'database' });
    expect(parse({ name: 'Up', strategy: 'oidc', options: { issuer: 'https://a' }, enabled_clients: ['x'] })).toEqual({
      name: 'Up',
      strategy: 'oidc',
      options: { issuer: 'https://a' },
      enabled_clients: ['x'],
    });
  });

  it('refuses a display name other than the name and keys Auth0 has that Tessera does not hold', () => {
    const refused = (body: unknown) => auth0CreateConnectionBody.safeParse(body).error?.issues.map((issue) => issue.path.join('.'));
    expect(refused({ name: 'Staff', strategy: 'auth0', display_name: 'Our staff' })).toEqual(['display_name']);
    expect(auth0CreateConnectionBody.safeParse({ name: 'Staff', strategy: 'auth0', realms: ['x'] }).error?.message).toContain('realms');
  });
});

describe('selectFields', () => {
  const record = { id: 'x', name: 'n', options: {} };

  it('keeps the fields named, or all but them with include_fields false, or all when none are named', () => {
    expect(selectFields(record, { fields: ['id', 'name'] })).toEqual({ id: 'x', name: 'n' });
    expect(selectFields(record, { fields: ['options'], include_fields: false })).toEqual({ id: 'x', name: 'n' });
    expect(selectFields(record, { fields: [] })).toEqual(record);
    expect(selectFields(record, {})).toEqual(record);
  });
});
