/**
 * A user's second factors and brute-force blocks through /api/v2 over plain HTTP: Auth0's
 * authentication-methods shapes (with and without totals), removing one or all, Tessera's
 * /authenticators list and reset, and DELETE /user-blocks/{id} letting a blocked user sign in.
 */

import type * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_V2_OPERATIONS } from '../../../trpc/api-v2/operations/index.js';
import { appRouter } from '../../../trpc/routers/_app.js';
import { createCallerFactory } from '../../../trpc/trpc.js';
import { callApiV2 } from '../../support/api-v2.js';
import { Browser, isPage } from '../../support/browser.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { clientCredentialsToken } from '../../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../../support/relying-party.js';
import { startTestTessera } from '../../support/tessera.js';

type Json = Record<string, unknown>;

/** The answer is what the operation documents in the OpenAPI document. */
function expectDocumented(path: string, body: unknown): void {
  const documented = API_V2_OPERATIONS.find((op) => op.method === 'get' && op.path === path)?.response;
  if (!documented) throw new Error(`no documented answer for GET ${path}`);
  expect(documented.safeParse(body).error).toBeUndefined();
}

describe('the /api/v2 second-factor and user-block operations', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { TRUST_PROXY: '1', BRUTE_FORCE_MAX_ATTEMPTS: '3' } });
    token = await clientCredentialsToken(tessera.issuer);
  });
  afterAll(() => tessera?.stop());

  const call = (path: string, method = 'GET', bearer = token) => callApiV2(tessera.issuer, bearer, path, { method });
  const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

  /** A user who enrolled an authenticator app and recovery codes, as the person does on the account page. */
  async function enrolledUser() {
    const { profile } = await createUser(tessera);
    const own = createCallerFactory(appRouter)({
      services: tessera.services.management,
      caller: {
        subject: profile.user_id,
        clientId: 'tessera-account',
        kind: 'user',
        scopes: new Set(['read:current_user', 'update:current_user']),
      },
      authProblem: undefined,
    });
    const enrolment = await own.me.authenticators.enrollTotp({ name: 'My phone' });
    const code = new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate();
    await own.me.authenticators.confirmTotp({ authenticator_id: enrolment.authenticator_id, code });
    await own.me.authenticators.regenerateRecoveryCodes();
    return { userId: profile.user_id, totpId: enrolment.authenticator_id };
  }

  it('lists factors as Auth0’s authentication methods, as an array or with totals, and gets one', async () => {
    const { userId, totpId } = await enrolledUser();
    const listed = await call(`${userPath(userId)}/authentication-methods`);
    expect(listed.status).toBe(200);
    const methods = listed.body as Json[];
    expectDocumented('/users/{id}/authentication-methods', listed.body);
    expect(methods.map((method) => method['type']).sort()).toEqual(['recovery-code', 'totp']);
    expect(methods.find((method) => method['id'] === totpId)).toEqual({
      id: totpId,
      type: 'totp',
      confirmed: true,
      name: 'My phone',
      created_at: expect.any(String),
      enrolled_at: expect.any(String),
      // Confirming the enrolment used a code.
      last_auth_at: expect.any(String),
    });
    const paged = await call(`${userPath(userId)}/authentication-methods?include_totals=true&per_page=1&page=1`);
    expectDocumented('/users/{id}/authentication-methods', paged.body);
    expect(paged.body).toMatchObject({
      start: 1,
      limit: 1,
      total: 2,
      authenticators: [expect.objectContaining({ id: methods[1]?.['id'] })],
    });
    expect(await call(`${userPath(userId)}/authentication-methods/${totpId}`)).toMatchObject({
      status: 200,
      body: { id: totpId, type: 'totp' },
    });
    expect(await call(`${userPath(userId)}/authentication-methods/totp_not-hers`)).toMatchObject({
      status: 404,
      body: { errorCode: 'inexistent_authenticator' },
    });
  });

  it('removes one method with 204, then every method with 204', async () => {
    const { userId, totpId } = await enrolledUser();
    expect(await call(`${userPath(userId)}/authentication-methods/${totpId}`, 'DELETE')).toEqual({ status: 204, body: undefined });
    expect(((await call(`${userPath(userId)}/authentication-methods`)).body as Json[]).map((method) => method['type'])).toEqual([
      'recovery-code',
    ]);
    expect(await call(`${userPath(userId)}/authentication-methods`, 'DELETE')).toEqual({ status: 204, body: undefined });
    expect((await call(`${userPath(userId)}/authentication-methods`)).body).toEqual([]);
  });

  it('lists factors in Tessera’s shape at /authenticators and resets them all with DELETE', async () => {
    const { userId, totpId } = await enrolledUser();
    const listed = await call(`${userPath(userId)}/authenticators`);
    expectDocumented('/users/{id}/authenticators', listed.body);
    const totp = (listed.body as Json[]).find((factor) => factor['id'] === totpId);
    expect(totp).toMatchObject({ type: 'totp', name: 'My phone', created_at: expect.any(String) });
    expect(totp).toHaveProperty('last_used_at');
    expect(totp).not.toHaveProperty('confirmed');
    expect(await call(`${userPath(userId)}/authenticators`, 'DELETE')).toEqual({ status: 204, body: undefined });
    expect((await call(`${userPath(userId)}/authenticators`)).body).toEqual([]);
  });

  it('answers an unknown user with inexistent_user and a removal without update:users with insufficient_scope', async () => {
    expect(await call(`${userPath('database|nobody-here')}/authentication-methods`)).toMatchObject({
      status: 404,
      body: { errorCode: 'inexistent_user' },
    });
    const { userId } = await enrolledUser();
    const reader = await clientCredentialsToken(tessera.issuer, 'read:users');
    expect(await call(`${userPath(userId)}/authenticators`, 'DELETE', reader)).toMatchObject({
      status: 403,
      body: { errorCode: 'insufficient_scope' },
    });
  });

  describe('DELETE /user-blocks/{id}', () => {
    let config: oidc.Configuration;
    beforeAll(async () => {
      const client = await createClient(tessera);
      config = await discover(tessera.issuer, client.client_id, client.client_secret);
    });

    /** One login attempt from `ip`: 303 once it went through, else the page's status. */
    async function attempt(ip: string, username: string, password: string): Promise<number> {
      const browser = new Browser({ 'x-forwarded-for': ip });
      const { page } = await openLoginPage(config, 'openid', {}, browser);
      if (!isPage(page)) throw new Error('expected the login page');
      const after = await browser.submit(page, { username, password }, REDIRECT_URI);
      return isPage(after) ? after.status : 303;
    }

    it('lifts a user’s brute-force block with 204, so the right password signs in again', async () => {
      const user = await createUser(tessera);
      for (let guess = 1; guess <= 3; guess += 1) expect(await attempt('203.0.113.9', user.email, `wrong ${guess}`)).toBe(401);
      expect(await attempt('203.0.113.9', user.email, user.password)).toBe(429);

      expect(await call(`/user-blocks/${encodeURIComponent(user.profile.user_id)}`, 'DELETE')).toEqual({ status: 204, body: undefined });
      expect(await attempt('203.0.113.9', user.email, user.password)).toBe(303);
      expect(await call(`/user-blocks/${encodeURIComponent('database|nobody-here')}`, 'DELETE')).toMatchObject({
        status: 404,
        body: { errorCode: 'inexistent_user' },
      });
    });
  });
});
