import { decodeJwt, generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwnIdentities, LINK_AUDIENCE, LINK_MAX_AGE_SECONDS } from '../../../server/accounts/own-identities.js';
import { isDomainError } from '../../../server/errors.js';
import { accountCallback, accountClient, signIn } from '../../support/account-signin.js';
import { createUser } from '../../support/fixtures.js';
import { startTestTessera } from '../../support/tessera.js';

/** The sentence a refused link answers with; fails the test if the link was not refused as link.refused. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (isDomainError(error, 'link.refused')) return error.message;
    throw error;
  }
  throw new Error('expected the link to be refused');
}

describe("me.link's proof: an ID token of a fresh sign-in by another user, for the account client", () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let account: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    account = await accountClient(tessera);
  });
  afterAll(() => tessera?.stop());

  /** The service as Tessera builds it, with a clock the test sets. */
  const identities = (now = Date.now) =>
    createOwnIdentities({
      issuer: tessera.issuer,
      providers: tessera.services.providers,
      replay: tessera.services.flows,
      users: tessera.services.userService,
      now,
    });

  async function freshIdToken(person: { email: string; password: string }) {
    const { tokens } = await signIn(account, person, {
      extraParams: { prompt: 'login', max_age: '0' },
      redirectUri: accountCallback(tessera.issuer),
    });
    return tokens.id_token ?? '';
  }

  /** A token signed with Tessera's own current RS256 key, claims as the test says. */
  async function signedByTessera(claims: JWTPayload) {
    const key = tessera.services.providers.keys.signingKeys.find(({ alg }) => alg === 'RS256');
    if (!key) throw new Error('no RS256 key');
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(await importJWK(key.jwk, 'RS256'));
  }

  const now = () => Math.floor(Date.now() / 1000);
  const validClaims = (sub: string): JWTPayload => ({
    iss: tessera.issuer,
    aud: LINK_AUDIENCE,
    sub,
    iat: now(),
    exp: now() + 600,
    auth_time: now(),
  });

  it(`accepts a sign-in up to ${LINK_MAX_AGE_SECONDS / 60} minutes old and refuses one older`, async () => {
    const caller = await createUser(tessera);
    const other = await createUser(tessera);
    const token = await freshIdToken(other);
    const authTime = Number(decodeJwt(token)['auth_time']) * 1000;

    const late = await refusal(identities(() => authTime + (LINK_MAX_AGE_SECONDS + 60) * 1000).link(caller.profile.user_id, token));
    expect(late).toContain('older than 10 minutes');

    const linked = await identities(() => authTime + (LINK_MAX_AGE_SECONDS - 60) * 1000).link(caller.profile.user_id, token);
    expect(linked.identities).toHaveLength(2);
  });

  it("refuses a token signed by another key under Tessera's key id", async () => {
    const caller = await createUser(tessera);
    const other = await createUser(tessera);
    const key = tessera.services.providers.keys.signingKeys.find(({ alg }) => alg === 'RS256');
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(validClaims(other.profile.user_id))
      .setProtectedHeader({ alg: 'RS256', kid: key?.kid ?? '' })
      .sign(privateKey);
    expect(await refusal(identities().link(caller.profile.user_id, forged))).toContain("not signed by this Tessera's keys");
    // The same claims signed by Tessera pass: the key alone made the difference.
    expect(
      (await identities().link(caller.profile.user_id, await signedByTessera(validClaims(other.profile.user_id)))).identities,
    ).toHaveLength(2);
  });

  it('refuses the token of a user blocked or deleted since the sign-in', async () => {
    const caller = await createUser(tessera);
    const blocked = await createUser(tessera);
    const deleted = await createUser(tessera);
    const blockedToken = await freshIdToken(blocked);
    const deletedToken = await freshIdToken(deleted);
    await tessera.services.userService.update(blocked.profile.user_id, { blocked: true });
    await tessera.services.userService.remove(deleted.profile.user_id);
    expect(await refusal(identities().link(caller.profile.user_id, blockedToken))).toContain('blocked');
    expect(await refusal(identities().link(caller.profile.user_id, deletedToken))).toContain('no longer exists');
    expect((await tessera.services.userService.get(caller.profile.user_id)).identities).toHaveLength(1);
  });

  it.each([
    ['another issuer', { iss: 'https://elsewhere.example' }, 'not issued by this Tessera'],
    ['no auth_time', { auth_time: undefined }, 'auth_time'],
    ['an auth_time in the future', { auth_time: Math.floor(Date.now() / 1000) + 3600 }, 'auth_time'],
    ['a logout token', { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, 'not an ID token'],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }, 'expired'],
  ])('refuses a token signed by Tessera with %s', async (_name, changes, message) => {
    const caller = await createUser(tessera);
    const other = await createUser(tessera);
    const claims = Object.fromEntries(
      Object.entries({ ...validClaims(other.profile.user_id), ...changes }).filter(([, v]) => v !== undefined),
    );
    expect(await refusal(identities().link(caller.profile.user_id, await signedByTessera(claims)))).toContain(message);
    expect((await tessera.services.userService.get(other.profile.user_id)).user_id).toBe(other.profile.user_id);
  });
});
