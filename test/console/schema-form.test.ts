/** The console's connection forms: fields from a strategy's JSON Schema, and options back from their text. */
import { describe, expect, it } from 'vitest';
import { buildOptions, fieldsOf, initialValues, type JsonSchema } from '../../console/src/schema-form.js';
import { connectionOptionForms } from '../../server/connections/option-forms.js';

const formOf = (strategy: string) => {
  const form = connectionOptionForms().find((candidate) => candidate.strategy === strategy);
  if (!form) throw new Error(strategy);
  return fieldsOf(form.schema as JsonSchema, form.secrets);
};

describe('connection option forms', () => {
  it('gives each oidc option an input of its kind, the secret write-only and richer options as JSON', () => {
    const fields = formOf('oidc');
    const kinds = Object.fromEntries(fields.map((field) => [field.name, field.kind]));
    expect(kinds).toMatchObject({
      issuer: 'url',
      client_id: 'text',
      client_secret: 'secret',
      token_endpoint_auth_method: 'choice',
      is_social: 'boolean',
      timeout_ms: 'number',
      mapping: 'json',
    });
    expect(fields.filter((field) => field.required).map((field) => field.name)).toEqual(['issuer', 'client_id']);
  });

  it('offers disable_signup on a database connection as a checkbox, off unless stored on', () => {
    const fields = formOf('database');
    expect(fields.find((field) => field.name === 'disable_signup')).toMatchObject({ kind: 'boolean', required: false });
    expect(initialValues(fields, {})).toMatchObject({ disable_signup: 'false' });
    expect(buildOptions(fields, { disable_signup: 'true' })).toEqual({ ok: true, options: { disable_signup: true } });
  });

  it('flattens nested objects to dotted names and rebuilds them', () => {
    const fields = formOf('database');
    expect(fields.map((field) => field.name)).toContain('password_policy.min_length');
    const built = buildOptions(fields, { 'password_policy.min_length': '12', requires_username: 'true' });
    expect(built).toEqual({ ok: true, options: { password_policy: { min_length: 12 }, requires_username: true } });
  });

  it('starts from stored values, then defaults, and never from a secret', () => {
    const values = initialValues(formOf('ldap'), { url: 'ldap://dir', bind_password: 'stored', search_base: 'ou=people' });
    expect(values).toMatchObject({ url: 'ldap://dir', search_base: 'ou=people', bind_password: '', timeout_ms: '5000' });
  });

  it('leaves empty fields out and refuses text that is not of the field’s kind, naming it', () => {
    const fields = formOf('oidc');
    expect(buildOptions(fields, { issuer: 'https://id.example', client_id: 'app', client_secret: '' })).toEqual({
      ok: true,
      options: { issuer: 'https://id.example', client_id: 'app' },
    });
    expect(buildOptions(fields, { timeout_ms: 'soon' })).toEqual({ ok: false, field: 'timeout_ms', message: 'must be a number' });
    expect(buildOptions(fields, { mapping: '{ name:' })).toEqual({ ok: false, field: 'mapping', message: 'must be valid JSON' });
  });
});
