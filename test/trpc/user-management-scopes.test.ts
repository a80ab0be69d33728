import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const scopesOf = (accessToken: string) =>
  String(decodeJwt(accessToken)['scope'] ?? '')
    .split(' ')
    .filter(Boolean)
    .sort();

describe('users holding management scopes', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let firstParty: oidc.Configuration;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  const audience = () => `${tessera.issuer}/api/v2/`;

  /** A machine client holding exactly `scopes`, and a management client with its token. */
  async function machineWith(scopes: string[]) {
    const created = await admin.clients.create.mutate({
      name: `holds ${scopes.join(' ')}`,
      grant_types: ['client_credentials'],
      management_scopes: scopes as never,
    });
    const token = await clientCredentialsToken(tessera.issuer, undefined, {
      clientId: created.client_id,
      clientSecret: created.client_secret!,
    });
    return managementClient(tessera.issuer, token);
  }

  async function operator(scopes: string[]) {
    const person = await createUser(tessera);
    await admin.users.update.mutate({ id: person.profile.user_id, management_scopes: scopes as never });
    return person;
  }

  async function tokenOf(person: { email: string; password: string }, scope: string) {
    const { tokens } = await login(firstParty, {
      scope,
      username: person.email,
      password: person.password,
      extraParams: { resource: audience() },
    });
    return tokens;
  }

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    const client = await createClient(tessera);
    firstParty = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('stores management_scopes given to users.create and shows them through users.get and users.list, in canonical order', async () => {
    const created = await admin.users.create.mutate({
      connection: 'Username-Password',
      email: 'reader@example.com',
      password: 'a long enough password',
      management_scopes: ['read:clients', 'read:users', 'read:users'],
    });
    expect(created.management_scopes).toEqual(['read:users', 'read:clients']);
    expect((await admin.users.get.query({ id: created.user_id! })).management_scopes).toEqual(['read:users', 'read:clients']);
    const page = await admin.users.list.query({ q: 'email:"reader@example.com"', fields: ['user_id', 'management_scopes'] });
    expect(page.users).toEqual([{ user_id: created.user_id, management_scopes: ['read:users', 'read:clients'] }]);
  });

  it('gives an ordinary user an empty list', async () => {
    const person = await createUser(tessera);
    expect((await admin.users.get.query({ id: person.profile.user_id })).management_scopes).toEqual([]);
  });

  it('refuses with FORBIDDEN, naming the scopes, a caller granting a scope it does not hold, on create and on update', async () => {
    const limited = await machineWith(['read:users', 'create:users', 'update:users']);
    const create = await errorOf(
      limited.users.create.mutate({
        connection: 'Username-Password',
        email: 'escalate@example.com',
        password: 'a long enough password',
        management_scopes: ['read:users', 'delete:users'],
      }),
    );
    expect(create).toMatchObject({ code: 'FORBIDDEN', field: 'management_scopes' });
    expect(create.message).toContain('cannot grant management scopes this token does not hold: delete:users');
    const person = await createUser(tessera);
    const update = await errorOf(limited.users.update.mutate({ id: person.profile.user_id, management_scopes: ['update:clients'] }));
    expect(update).toMatchObject({ code: 'FORBIDDEN', field: 'management_scopes' });
    expect((await admin.users.get.query({ id: person.profile.user_id })).management_scopes).toEqual([]);
    // What it holds, it may grant.
    expect(
      (await limited.users.update.mutate({ id: person.profile.user_id, management_scopes: ['read:users'] })).management_scopes,
    ).toEqual(['read:users']);
  });

  it('refuses a caller changing, deleting or linking a user who holds scopes it lacks', async () => {
    const limited = await machineWith(['read:users', 'update:users', 'delete:users']);
    const boss = await operator([...MANAGEMENT_SCOPES]);
    const id = boss.profile.user_id;
    const other = (await createUser(tessera)).profile.user_id;
    for (const call of [
      () => limited.users.update.mutate({ id, password: 'taken over password' }),
      () => limited.users.update.mutate({ id, email: 'mine@example.com' }),
      () => limited.users.delete.mutate({ id }),
      () => limited.users.link.mutate({ id, link_with: other }),
      () => limited.users.link.mutate({ id: other, link_with: id }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(`user ${id} holds management scopes this token does not hold`);
    }
    expect(await admin.users.get.query({ id })).toMatchObject({ email: boss.email });
  });

  it("keeps management_scopes out of the user's own me.get, the ID token and userinfo", async () => {
    const person = await operator(['read:users']);
    const tokens = await tokenOf(person, 'openid profile email read:current_user read:users');
    const me = await managementClient(tessera.issuer, tokens.access_token).me.get.query();
    expect(me).toMatchObject({ user_id: person.profile.user_id });
    expect(me).not.toHaveProperty('management_scopes');
    expect(JSON.stringify(tokens.claims())).not.toContain('management_scopes');
    const { tokens: plain } = await login(firstParty, { scope: 'openid profile email', username: person.email, password: person.password });
    const userinfo = await oidc.fetchUserInfo(firstParty, plain.access_token, person.profile.user_id);
    expect(userinfo).not.toHaveProperty('management_scopes');
  });

  it("puts in a user's token for the management API the scopes it asked for and the user holds, and no others", async () => {
    const person = await operator(['read:users', 'update:users', 'read:clients']);
    const tokens = await tokenOf(person, 'openid read:current_user read:users update:users delete:users create:clients');
    expect(scopesOf(tokens.access_token)).toEqual(['read:current_user', 'read:users', 'update:users']);
    const api = managementClient(tessera.issuer, tokens.access_token);
    expect((await api.users.list.query({ q: `user_id:"${person.profile.user_id}"` })).users).toHaveLength(1);
    // Held, not asked for: not in the token, so refused.
    const error = await errorOf(api.clients.list.query({}));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('read:clients');
    // Asked for and held: clients.* takes it as it takes a machine token.
    const clientsReader = managementClient(tessera.issuer, (await tokenOf(person, 'openid read:clients')).access_token);
    expect((await clientsReader.clients.list.query({})).clients.length).toBeGreaterThan(0);
  });

  it('refuses a user token for a scope the user holds but that the token was not given', async () => {
    const person = await operator(['read:users', 'delete:users']);
    const api = managementClient(tessera.issuer, (await tokenOf(person, 'openid read:users')).access_token);
    const error = await errorOf(api.users.delete.mutate({ id: (await createUser(tessera)).profile.user_id }));
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    expect(error.message).toContain('delete:users');
  });

  it('ends a removed scope at once for live tokens, and leaves it out of new tokens and refreshed ones', async () => {
    const person = await operator(['read:users', 'update:users']);
    const tokens = await tokenOf(person, 'openid offline_access read:users update:users');
    const api = managementClient(tessera.issuer, tokens.access_token);
    expect(await api.users.get.query({ id: person.profile.user_id })).toMatchObject({ user_id: person.profile.user_id });
    await admin.users.update.mutate({ id: person.profile.user_id, management_scopes: ['update:users'] });
    const error = await errorOf(api.users.get.query({ id: person.profile.user_id }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('no longer holds read:users');
    const refreshed = await oidc.refreshTokenGrant(firstParty, tokens.refresh_token!);
    expect(scopesOf(refreshed.access_token)).toEqual(['update:users']);
    expect(scopesOf((await tokenOf(person, 'openid read:users update:users')).access_token)).toEqual(['update:users']);
  });

  it("stops a blocked operator's token at once with UNAUTHORIZED", async () => {
    const person = await operator(['read:users']);
    const api = managementClient(tessera.issuer, (await tokenOf(person, 'openid read:users')).access_token);
    await admin.users.update.mutate({ id: person.profile.user_id, blocked: true });
    const error = await errorOf(api.users.list.query({}));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('blocked');
  });

  it('gives a third-party client none of the scopes an operator holds', async () => {
    const person = await operator(['read:users']);
    const outside = await createClient(tessera, { is_first_party: false, client_name: 'Outside App' });
    const config = await discover(tessera.issuer, outside.client_id, outside.client_secret);
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid read:users', { resource: audience() });
    if (!isPage(page)) throw new Error('expected the login page');
    const consent = await browser.submit(page, { username: person.email, password: person.password }, REDIRECT_URI);
    if (!isPage(consent)) throw new Error('expected the consent page');
    expect(consent.html).not.toContain('read:users');
    const done = await browser.submit(consent, {}, REDIRECT_URI);
    if (isPage(done)) throw new Error(`consent did not complete: ${done.status}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(scopesOf(tokens.access_token)).toEqual([]);
  });
});
