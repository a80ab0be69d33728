/**
 * The second factor at login, over HTTP with the form driver and a real relying party: codes
 * are computed from the enrolled secret as an authenticator app would. Password + code gives
 * amr pwd, otp, mfa and the multi-factor acr; a code is used once; wrong codes block like wrong
 * passwords; a recovery code gets in once.
 */
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('the second factor at login', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { BRUTE_FORCE_MAX_ATTEMPTS: '3' } });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  /** A user with a confirmed authenticator app, and the recovery codes that came with it. */
  async function enrolledUser() {
    const user = await createUser(tessera);
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(user.profile);
    const { recovery_codes } = await tessera.services.mfaEnrolment.confirmTotp(
      user.profile.user_id,
      enrolment.authenticator_id,
      codeAt(enrolment.secret),
    );
    return { ...user, secret: enrolment.secret, recoveryCodes: recovery_codes ?? [] };
  }

  /** Password on the login page; returns where that led and what finishing the flow needs. */
  async function afterPassword(
    user: { email: string; password: string },
    extraParams: Record<string, string> = {},
    browser = new Browser(),
  ) {
    const started = await openLoginPage(config, 'openid', extraParams, browser);
    const visit = await browser.submit(page(started.page), { username: user.email, password: user.password }, REDIRECT_URI);
    const tokens = async (redirect: string) =>
      oidc.authorizationCodeGrant(config, new URL(redirect), {
        pkceCodeVerifier: started.codeVerifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
    return { visit, browser, tokens };
  }

  async function chooseRecoveryCode(browser: Browser, step: Page): Promise<Page> {
    const href = step.document.querySelector('a[data-method=recovery-code]')?.getAttribute('href');
    return page(await browser.navigate(new URL(String(href), step.url).toString(), REDIRECT_URI));
  }

  async function redirectOf(visit: Visit | Promise<Visit>): Promise<string> {
    const done = await visit;
    if (isPage(done)) throw new Error(`expected a redirect to the application, got ${done.status}: ${done.html.slice(0, 400)}`);
    return done.redirect;
  }

  it('asks nothing more of a user without a second factor: amr pwd, single-factor acr', async () => {
    const user = await createUser(tessera);
    const { visit, tokens } = await afterPassword(user);
    expect((await tokens(await redirectOf(visit))).claims()).toMatchObject({ amr: ['pwd'], acr: 'urn:tessera:acr:single-factor' });
  });

  it('asks an enrolled user for a code after the password; the right code gives amr pwd, otp, mfa and the multi-factor acr', async () => {
    const user = await enrolledUser();
    const { visit, browser, tokens } = await afterPassword(user);
    const step = page(visit);
    expect(step.url).toMatch(/\/interaction\/[^/]+\/mfa$/);
    expect(step.document.querySelector('input[name=code]')?.getAttribute('autocomplete')).toBe('one-time-code');
    expect(step.document.querySelector('a[data-method=recovery-code]')?.text).toBe('Use a recovery code');
    const redirect = await redirectOf(browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    const claims = (await tokens(redirect)).claims();
    expect(claims).toMatchObject({ sub: user.profile.user_id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
  });

  it('refuses a code already used, and one of an earlier step, at a later login', async () => {
    const user = await enrolledUser();
    const code = codeAt(user.secret, 30);
    const first = await afterPassword(user);
    await redirectOf(first.browser.submit(page(first.visit), { code }, REDIRECT_URI));

    const second = await afterPassword(user);
    const refused = page(await second.browser.submit(page(second.visit), { code }, REDIRECT_URI));
    expect(refused.status).toBe(401);
    expect(refused.document.querySelector('[role=alert]')?.text).toContain('That code is not valid');
    const earlier = page(await second.browser.submit(refused, { code: codeAt(user.secret) }, REDIRECT_URI));
    expect(earlier.status).toBe(401);
  });

  it('refuses a wrong code, then after too many wrong codes refuses the right one with 429 and Retry-After until the user is unblocked', async () => {
    const user = await enrolledUser();
    const right = codeAt(user.secret, 30);
    const wrong = right === '000000' ? '111111' : '000000';
    const { visit, browser, tokens } = await afterPassword(user);
    let current = page(visit);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      current = page(await browser.submit(current, { code: wrong }, REDIRECT_URI));
      statuses.push(current.status);
    }
    const blocked = page(await browser.submit(current, { code: right }, REDIRECT_URI));
    expect([...statuses, blocked.status]).toEqual([401, 401, 401, 429]);
    expect(Number(blocked.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.document.querySelector('[role=alert]')?.text).toContain('too many failed login attempts');

    await tessera.services.userService.unblock(user.profile.user_id);
    const redirect = await redirectOf(browser.submit(blocked, { code: right }, REDIRECT_URI));
    expect((await tokens(redirect)).claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
  });

  it('lets a user in with a recovery code once: the same code is refused at the next login', async () => {
    const user = await enrolledUser();
    const [code] = user.recoveryCodes;
    const first = await afterPassword(user);
    const recoveryStep = await chooseRecoveryCode(first.browser, page(first.visit));
    expect(recoveryStep.document.querySelector('input[name=method]')?.getAttribute('value')).toBe('recovery-code');
    expect(recoveryStep.document.querySelector('a[data-method=totp]')?.text).toBe('Use your authenticator app');
    const redirect = await redirectOf(first.browser.submit(recoveryStep, { code: String(code) }, REDIRECT_URI));
    expect((await first.tokens(redirect)).claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });

    const second = await afterPassword(user);
    const again = await chooseRecoveryCode(second.browser, page(second.visit));
    const refused = page(await second.browser.submit(again, { code: String(code) }, REDIRECT_URI));
    expect(refused.status).toBe(401);
    const [, other] = user.recoveryCodes;
    await redirectOf(second.browser.submit(refused, { code: String(other) }, REDIRECT_URI));
  });

  it('finishes a login once: the second-factor page of a finished login is gone', async () => {
    const user = await enrolledUser();
    const { visit, browser } = await afterPassword(user);
    const step = page(visit);
    await redirectOf(browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    const replay = page(await browser.navigate(step.url));
    expect(replay.status).toBe(400);
  });

  it('ends a login whose user was blocked while it waited for the second factor', async () => {
    const user = await enrolledUser();
    const { visit, browser } = await afterPassword(user);
    await tessera.services.userService.update(user.profile.user_id, { blocked: true });
    const refused = page(await browser.submit(page(visit), { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    expect(refused.status).toBe(403);
    expect(refused.document.querySelector('[role=alert]')?.text).toContain('blocked');
  });
});
