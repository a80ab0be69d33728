/**
 * connections.check (the console's "try") against real peers: a real OpenLDAP slapd and a real
 * upstream oidc-provider, each reached as a login would, with the login page's sentence when
 * they refuse; and connections.optionForms, the JSON Schema the console's forms come from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, errorOf } from '../support/management-client.js';
import { PEOPLE_DN, READER, type Slapd, startSlapd } from '../support/slapd.js';
import { startTestTessera } from '../support/tessera.js';
import { startSilentServer, startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js';

describe('connections.check and connections.optionForms', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let slapd: Slapd;
  let upstream: UpstreamOidc;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    slapd = await startSlapd();
    upstream = await startUpstreamOidc(`${tessera.issuer}/login/callback`);
  });
  afterAll(async () => {
    await upstream?.stop();
    await slapd?.stop();
    await tessera?.stop();
  });

  const ldap = (name: string, options: Record<string, unknown>) =>
    admin.connections.create.mutate({ name, strategy: 'ldap', options: { url: slapd.url, search_base: PEOPLE_DN, ...options } });

  it('binds to the directory as the service account and reads the search base', async () => {
    const connection = await ldap('Check-Ldap', { bind_dn: READER.dn, bind_password: READER.password });
    expect(await admin.connections.check.mutate({ id: connection.id })).toEqual({
      ok: true,
      message: `Bound to ${slapd.url} as ${READER.dn} and read ${PEOPLE_DN}.`,
    });
  });

  it('reports a refused service account and a missing search base as the login page would, without failing the call', async () => {
    const wrongPassword = await ldap('Check-Ldap-Refused', { bind_dn: READER.dn, bind_password: 'not the password' });
    expect(await admin.connections.check.mutate({ id: wrongPassword.id })).toEqual({
      ok: false,
      message: "the directory refused the connection's service account",
    });
    const missingBase = await ldap('Check-Ldap-Base', {
      search_base: 'ou=nobody,dc=example,dc=org',
      bind_dn: READER.dn,
      bind_password: READER.password,
    });
    expect(await admin.connections.check.mutate({ id: missingBase.id })).toEqual({
      ok: false,
      message: "the directory has no entry at the connection's search base",
    });
  });

  it('runs a fresh discovery of an oidc upstream, and says when it does not answer in time', async () => {
    const connection = await admin.connections.create.mutate({
      name: 'Check-Oidc',
      strategy: 'oidc',
      options: { issuer: upstream.issuer, client_id: upstream.client.clientId, client_secret: upstream.client.clientSecret },
    });
    const result = await admin.connections.check.mutate({ id: connection.id });
    expect(result.ok).toBe(true);
    expect(result.message).toContain(`Discovery of ${upstream.issuer} succeeded`);

    const silent = await startSilentServer();
    try {
      const stuck = await admin.connections.create.mutate({
        name: 'Check-Oidc-Silent',
        strategy: 'oidc',
        options: { issuer: silent.url, client_id: 'x', timeout_ms: 300 },
      });
      const failed = await admin.connections.check.mutate({ id: stuck.id });
      expect(failed.ok).toBe(false);
      expect(failed.message).toMatch(/did not answer|in time/);
    } finally {
      await silent.stop();
    }
  });

  it('refuses to check a connection with nothing to reach, and one that does not exist', async () => {
    const [database] = (await admin.connections.list.query({ strategy: 'database' })).connections;
    expect(await errorOf(admin.connections.check.mutate({ id: database?.id ?? '' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'id' });
    expect(await errorOf(admin.connections.check.mutate({ id: 'con_missing' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('describes every strategy’s options from the schemas create checks them with, naming its write-only secrets', async () => {
    const forms = await admin.connections.optionForms.query();
    expect(forms.map((form) => form.strategy)).toEqual(['database', 'oidc', 'ldap', 'saml', 'custom']);
    const oidc = forms.find((form) => form.strategy === 'oidc');
    expect(oidc?.secrets).toEqual(['client_secret']);
    expect(oidc?.checkable).toBe(true);
    expect(oidc?.schema).toMatchObject({
      type: 'object',
      required: ['issuer', 'client_id'],
      properties: {
        timeout_ms: { type: 'integer', default: 5000, minimum: 100 },
        token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post'] },
      },
    });
    expect(forms.find((form) => form.strategy === 'ldap')).toMatchObject({ secrets: ['bind_password'], checkable: true });
    expect(forms.find((form) => form.strategy === 'saml')?.checkable).toBe(false);
  });

  it('requires read:connections for both', async () => {
    const reader = await adminClient(tessera.issuer, 'read:users');
    expect((await errorOf(reader.connections.optionForms.query())).code).toBe('FORBIDDEN');
    expect((await errorOf(reader.connections.check.mutate({ id: 'con_x' }))).code).toBe('FORBIDDEN');
  });
});
