/**
 * When a login asks for a second factor: the pure decision, MFA_POLICY, and an application's
 * own mfa_policy (set through clients.create/update), over HTTP with a real relying party.
 * Under `always`, a user without a factor adds an authenticator app at login, with a code
 * computed from the secret the page shows, and is shown the recovery codes once.
 */
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { MFA_POLICIES, secondFactorStep } from '../../server/mfa/mfa-policy.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { adminClient, errorOf } from '../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('the second-factor decision', () => {
  it('asks nothing of a login that is multi-factor already, whatever the policy', () => {
    for (const policy of MFA_POLICIES) {
      expect(secondFactorStep({ policy, enrolled: true, multiFactor: true, required: true })).toBe('none');
    }
  });

  it('asks an enrolled user under enrolled and always, and under never only when required', () => {
    expect(secondFactorStep({ policy: 'enrolled', enrolled: true, multiFactor: false, required: false })).toBe('challenge');
    expect(secondFactorStep({ policy: 'always', enrolled: true, multiFactor: false, required: false })).toBe('challenge');
    expect(secondFactorStep({ policy: 'never', enrolled: true, multiFactor: false, required: false })).toBe('none');
    expect(secondFactorStep({ policy: 'never', enrolled: true, multiFactor: false, required: true })).toBe('challenge');
  });

  it('makes a user without a factor enrol under always or when required, and lets them through otherwise', () => {
    expect(secondFactorStep({ policy: 'always', enrolled: false, multiFactor: false, required: false })).toBe('enrol');
    expect(secondFactorStep({ policy: 'never', enrolled: false, multiFactor: false, required: true })).toBe('enrol');
    expect(secondFactorStep({ policy: 'enrolled', enrolled: false, multiFactor: false, required: false })).toBe('none');
    expect(secondFactorStep({ policy: 'never', enrolled: false, multiFactor: false, required: false })).toBe('none');
  });
});

describe('MFA_POLICY and an application’s mfa_policy at login', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  /** Follows MFA_POLICY=always. */
  let strict: oidc.Configuration;
  let never: oidc.Configuration;
  let whenEnrolled: oidc.Configuration;
  let neverClientId: string;

  async function application(mfa_policy?: 'never' | 'enrolled' | 'always') {
    const created = await admin.clients.create.mutate({
      name: `App ${mfa_policy ?? 'default'}`,
      redirect_uris: [REDIRECT_URI],
      ...(mfa_policy ? { mfa_policy } : {}),
    });
    return { created, config: await discover(tessera.issuer, created.client_id, created.client_secret) };
  }

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { MFA_POLICY: 'always' } });
    admin = await adminClient(tessera.issuer);
    strict = (await application()).config;
    const neverApp = await application('never');
    never = neverApp.config;
    neverClientId = neverApp.created.client_id;
    whenEnrolled = (await application('enrolled')).config;
  });
  afterAll(() => tessera?.stop());

  async function afterPassword(config: oidc.Configuration, user: { email: string; password: string }) {
    const browser = new Browser();
    const started = await openLoginPage(config, 'openid', {}, browser);
    const visit = await browser.submit(page(started.page), { username: user.email, password: user.password }, REDIRECT_URI);
    const claims = async (redirect: string) =>
      (
        await oidc.authorizationCodeGrant(config, new URL(redirect), {
          pkceCodeVerifier: started.codeVerifier,
          expectedState: started.state,
          expectedNonce: started.nonce,
        })
      ).claims();
    return { visit, browser, claims };
  }

  async function redirectOf(visit: Visit | Promise<Visit>): Promise<string> {
    const done = await visit;
    if (isPage(done)) throw new Error(`expected a redirect to the application, got ${done.status}: ${done.html.slice(0, 400)}`);
    return done.redirect;
  }

  /** Enrols at login on the strict application: the page's secret, a wrong code first, then the right one. */
  async function enrolAtLogin(user: { email: string; password: string }) {
    const { visit, browser, claims } = await afterPassword(strict, user);
    const enrol = page(visit);
    const secret = String(enrol.document.querySelector('.secret')?.text);
    expect(enrol.document.querySelector('.qr svg')).not.toBeNull();
    const wrong = codeAt(secret) === '000000' ? '111111' : '000000';
    const again = page(await browser.submit(enrol, { code: wrong }, REDIRECT_URI));
    expect(again.status).toBe(401);
    expect(again.document.querySelector('.secret')?.text).toBe(secret);
    const codesPage = page(await browser.submit(again, { code: codeAt(secret) }, REDIRECT_URI));
    const codes = codesPage.document.querySelectorAll('.recovery-codes code').map((code) => code.text);
    const next = codesPage.document.querySelector('a.connection')?.getAttribute('href');
    const redirect = await redirectOf(browser.navigate(String(next), REDIRECT_URI));
    return { secret, codes, claims: await claims(redirect) };
  }

  it('shows an application’s own policy through clients.get, clears it with null, and refuses an unknown one', async () => {
    expect(await admin.clients.get.query({ client_id: neverClientId })).toMatchObject({ mfa_policy: 'never' });
    const plain = await application();
    expect(plain.created).not.toHaveProperty('mfa_policy');
    expect(await admin.clients.update.mutate({ client_id: plain.created.client_id, mfa_policy: 'enrolled' })).toMatchObject({
      mfa_policy: 'enrolled',
    });
    expect(await admin.clients.update.mutate({ client_id: plain.created.client_id, mfa_policy: null })).not.toHaveProperty('mfa_policy');
    expect(
      await errorOf(admin.clients.update.mutate({ client_id: plain.created.client_id, mfa_policy: 'sometimes' as 'never' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('makes a user without a factor add an authenticator app at login under always, shows the recovery codes once, and ends multi-factor', async () => {
    const user = await createUser(tessera);
    const { codes, claims } = await enrolAtLogin(user);
    expect(codes).toHaveLength(10);
    expect(claims).toMatchObject({ sub: user.profile.user_id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
    expect((await tessera.services.authenticators.list(user.profile.user_id)).map((factor) => factor.type)).toEqual([
      'totp',
      'recovery-code',
    ]);
  });

  it('lets an application with mfa_policy never skip the second factor, and one with enrolled ask an enrolled user for it', async () => {
    const fresh = await createUser(tessera);
    const skipped = await afterPassword(never, fresh);
    expect(await skipped.claims(await redirectOf(skipped.visit))).toMatchObject({ amr: ['pwd'] });
    const notEnrolled = await afterPassword(whenEnrolled, fresh);
    expect(await notEnrolled.claims(await redirectOf(notEnrolled.visit))).toMatchObject({ amr: ['pwd'] });

    const user = await createUser(tessera);
    const { secret } = await enrolAtLogin(user);
    const stillSkipped = await afterPassword(never, user);
    expect(await stillSkipped.claims(await redirectOf(stillSkipped.visit))).toMatchObject({ amr: ['pwd'] });
    const asked = await afterPassword(whenEnrolled, user);
    const redirect = await redirectOf(asked.browser.submit(page(asked.visit), { code: codeAt(secret, 30) }, REDIRECT_URI));
    expect(await asked.claims(redirect)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
  });

  it('makes a user whose factors an operator reset enrol again at their next login under always', async () => {
    const user = await createUser(tessera);
    await enrolAtLogin(user);
    await admin.users.resetMfa.mutate({ id: user.profile.user_id });
    expect(await admin.users.authenticators.list.query({ id: user.profile.user_id })).toEqual([]);
    const { claims } = await enrolAtLogin(user);
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
  });
});
