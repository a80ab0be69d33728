/**
 * tickets.verifyEmail, tickets.passwordChange and users.sendVerificationEmail through
 * createCaller: Auth0's shapes, update:users, only for a user the caller may manage, and the
 * refusals of what cannot have a link; and an operator's email change, which unverifies the
 * address and queues its verification in the same transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

describe('tickets.* and users.sendVerificationEmail', () => {
  let tessera: CallerTessera;
  let admin: Caller;
  let serial = 0;

  beforeAll(async () => {
    tessera = await openCallerTessera();
    admin = tessera.as(MANAGEMENT_SCOPES);
  });
  afterAll(() => tessera?.stop());

  const create = (extra: Record<string, unknown> = {}) => {
    serial += 1;
    return admin.users.create({
      connection: 'Username-Password',
      email: `ticket-user-${serial}@example.com`,
      password: 'a long password',
      ...extra,
    });
  };
  const messagesOf = async (userId: string) => (await admin.users.mail({ id: userId })).map((message) => message.kind);

  /** A user of an upstream connection only: no password of their own to set. */
  async function upstreamUser(): Promise<string> {
    serial += 1;
    const { connections, users } = tessera.services;
    const connection = await connections.create({
      id: `con_upstream_${serial}`,
      name: `Upstream-${serial}`,
      strategy: 'oidc',
      options: {},
    });
    const id = `oidc|upstream-${serial}`;
    await users.insertWithIdentity(
      { id, email: `upstream-${serial}@example.com` },
      {
        connectionId: connection.id,
        provider: 'oidc',
        externalId: `upstream-${serial}`,
        isSocial: true,
        profileData: { email: `upstream-${serial}@example.com` },
        passwordHash: null,
      },
    );
    return id;
  }

  it.each([
    ['tickets.verifyEmail', (c: Caller) => c.tickets.verifyEmail({ user_id: 'auth0|x' })],
    ['tickets.passwordChange', (c: Caller) => c.tickets.passwordChange({ user_id: 'auth0|x' })],
    ['users.sendVerificationEmail', (c: Caller) => c.users.sendVerificationEmail({ id: 'auth0|x' })],
  ] as const)('refuses %s to a caller without update:users with FORBIDDEN naming it', async (_name, call) => {
    const error = await callErrorOf(call(tessera.allBut('update:users')));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('update:users');
  });

  it('answers tickets.verifyEmail and tickets.passwordChange with a link under the issuer, as Auth0 does', async () => {
    const user = await create();
    const caller = tessera.as(['update:users']);
    const verify = await caller.tickets.verifyEmail({ user_id: user.user_id!, result_url: 'https://app.example/done', ttl_sec: 600 });
    expect(Object.keys(verify)).toEqual(['ticket']);
    expect(verify.ticket).toMatch(/\/tickets\/verify-email\?ticket=[A-Za-z0-9_-]{43}$/);
    const reset = await caller.tickets.passwordChange({ user_id: user.user_id!, mark_email_as_verified: true });
    expect(Object.keys(reset)).toEqual(['ticket']);
    expect(reset.ticket).toMatch(/\/tickets\/reset-password\?ticket=[A-Za-z0-9_-]{43}$/);
    // A link handed back is not a message: nothing was queued.
    expect(await messagesOf(user.user_id!)).toEqual([]);
  });

  it('refuses a ticket for a user that does not exist with NOT_FOUND', async () => {
    expect(await callErrorOf(admin.tickets.verifyEmail({ user_id: 'auth0|nobody' }))).toMatchObject({
      code: 'NOT_FOUND',
      field: 'user_id',
    });
    expect(await callErrorOf(admin.tickets.passwordChange({ user_id: 'auth0|nobody' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await callErrorOf(admin.users.sendVerificationEmail({ id: 'auth0|nobody' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a lifetime over 30 days, a result_url that is not http(s) and an unknown client', async () => {
    const user = await create();
    expect(await callErrorOf(admin.tickets.verifyEmail({ user_id: user.user_id!, ttl_sec: 30 * 24 * 3600 + 1 }))).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await callErrorOf(admin.tickets.verifyEmail({ user_id: user.user_id!, result_url: 'javascript:alert(1)' }))).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await callErrorOf(admin.tickets.passwordChange({ user_id: user.user_id!, client_id: 'no-such-client' }))).toMatchObject({
      code: 'NOT_FOUND',
      field: 'client_id',
    });
  });

  it('refuses a reset link for a user with no password of their own with BAD_REQUEST', async () => {
    const id = await upstreamUser();
    expect(await callErrorOf(admin.tickets.passwordChange({ user_id: id }))).toMatchObject({ code: 'BAD_REQUEST', field: 'user_id' });
    // Their email can still be verified.
    await expect(admin.tickets.verifyEmail({ user_id: id })).resolves.toHaveProperty('ticket');
  });

  it('refuses verifying a user without an email with BAD_REQUEST', async () => {
    const user = await create({ username: `no-mail-${serial}` });
    await admin.users.update({ id: user.user_id!, email: null });
    expect(await callErrorOf(admin.tickets.verifyEmail({ user_id: user.user_id! }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await callErrorOf(admin.users.sendVerificationEmail({ id: user.user_id! }))).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses links for a user holding management scopes the caller does not hold', async () => {
    const operator = await create({ management_scopes: ['delete:users'] });
    const caller = tessera.as(['update:users']);
    expect(await callErrorOf(caller.tickets.passwordChange({ user_id: operator.user_id! }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await callErrorOf(caller.tickets.verifyEmail({ user_id: operator.user_id! }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await callErrorOf(caller.users.sendVerificationEmail({ id: operator.user_id! }))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('queues a verification message with users.sendVerificationEmail', async () => {
    const user = await create();
    expect(await tessera.as(['update:users']).users.sendVerificationEmail({ id: user.user_id! })).toEqual({ sent: true });
    expect(await messagesOf(user.user_id!)).toEqual(['verify_email']);
  });

  describe("an operator's email change", () => {
    it('unverifies the new address and queues its verification', async () => {
      const user = await create({ email_verified: true });
      const updated = await admin.users.update({ id: user.user_id!, email: `Moved-${serial}@Example.com` });
      expect(updated).toMatchObject({ email: `moved-${serial}@example.com`, email_verified: false });
      expect(await messagesOf(user.user_id!)).toEqual(['verify_email']);
    });

    it('keeps the address verified and sends nothing when the same call says it is verified', async () => {
      const user = await create();
      const updated = await admin.users.update({ id: user.user_id!, email: `vouched-${serial}@example.com`, email_verified: true });
      expect(updated).toMatchObject({ email_verified: true });
      expect(await messagesOf(user.user_id!)).toEqual([]);
    });

    it('sends nothing when the address does not change, and nothing when the change is refused', async () => {
      const user = await create({ email_verified: true });
      const other = await create();
      expect(await admin.users.update({ id: user.user_id!, email: user.email!.toUpperCase(), name: 'Same' })).toMatchObject({
        email_verified: true,
      });
      expect(await callErrorOf(admin.users.update({ id: user.user_id!, email: other.email! }))).toMatchObject({ code: 'CONFLICT' });
      expect(await messagesOf(user.user_id!)).toEqual([]);
      expect(await admin.users.get({ id: user.user_id! })).toMatchObject({ email: user.email, email_verified: true });
    });
  });
});
