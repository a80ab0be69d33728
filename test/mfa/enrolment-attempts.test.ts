/**
 * Wrong codes confirming an authenticator app on the account page count like wrong codes at
 * login: over HTTP with a person's own token, BRUTE_FORCE_MAX_ATTEMPTS wrong codes block the
 * user's second factor from that address (429 TOO_MANY_REQUESTS with Retry-After, the right
 * code refused and not spent), an operator's unblock lifts it, fewer wrong codes block nothing,
 * and another person is not affected.
 */
import type * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_PAGE_SCOPES } from '../../server/accounts/account-site.js';
import { ACCOUNT_CLIENT_ID } from '../../server/clients/account-client.js';
import { createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const MAX_ATTEMPTS = 3;

const codeAt = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();
/** A six-digit code this secret does not make now, nor a step either side. */
function wrongCode(secret: string, seed: number): string {
  const valid = new Set(
    [-30, 0, 30].map((offset) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 1000 })),
  );
  for (let candidate = seed; ; candidate += 1) {
    const code = String(candidate % 1_000_000).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

describe('confirming an authenticator app on the account page, against guessing', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let account: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { BRUTE_FORCE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
    account = await discover(tessera.issuer, ACCOUNT_CLIENT_ID);
  });
  afterAll(() => tessera?.stop());

  /** A new person signed in as the account page signs in, with an authenticator app shown but not confirmed. */
  async function enrolling() {
    const person = await createUser(tessera);
    const { tokens } = await login(account, {
      scope: ACCOUNT_PAGE_SCOPES.join(' '),
      username: person.email,
      password: person.password,
      redirectUri: `${tessera.issuer}/account/callback`,
      extraParams: { resource: `${tessera.issuer}/api/v2/`, connection: 'Username-Password' },
    });
    const me = managementClient(tessera.issuer, tokens.access_token).me;
    const enrolment = await me.authenticators.enrollTotp.mutate();
    const confirm = (code: string) => me.authenticators.confirmTotp.mutate({ authenticator_id: enrolment.authenticator_id, code });
    return { person, token: tokens.access_token, me, enrolment, confirm };
  }

  it(`refuses even the right code with 429 and Retry-After after ${MAX_ATTEMPTS} wrong ones, until an operator unblocks the user`, async () => {
    const { person, token, me, enrolment, confirm } = await enrolling();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      expect(await errorOf(confirm(wrongCode(enrolment.secret, attempt * 7919)))).toMatchObject({ code: 'BAD_REQUEST', field: 'code' });
    }
    const response = await fetch(`${tessera.issuer}/trpc/me.authenticators.confirmTotp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ authenticator_id: enrolment.authenticator_id, code: codeAt(enrolment.secret) }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await response.json()) as { error: { data: { code: string } } }).error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(await me.authenticators.list.query()).toEqual([]);

    // An operator's unblock lifts it, as it lifts a login's; the code refused while blocked was not spent.
    const admin = await adminClient(tessera.issuer);
    await admin.users.unblock.mutate({ id: person.profile.user_id });
    const confirmed = await confirm(codeAt(enrolment.secret));
    expect(confirmed.authenticator).toMatchObject({ id: enrolment.authenticator_id, type: 'totp' });
    expect(confirmed.recovery_codes).toHaveLength(10);
  });

  it('lets the right code through after fewer wrong ones, and counts one person’s wrong codes against nobody else', async () => {
    const guesser = await enrolling();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await errorOf(guesser.confirm(wrongCode(guesser.enrolment.secret, attempt * 7919)));
    }
    expect((await errorOf(guesser.confirm(codeAt(guesser.enrolment.secret)))).code).toBe('TOO_MANY_REQUESTS');

    const other = await enrolling();
    for (let attempt = 0; attempt < MAX_ATTEMPTS - 1; attempt += 1) {
      expect((await errorOf(other.confirm(wrongCode(other.enrolment.secret, attempt * 7919)))).code).toBe('BAD_REQUEST');
    }
    expect((await other.confirm(codeAt(other.enrolment.secret))).authenticator).toMatchObject({ type: 'totp' });
  });
});
