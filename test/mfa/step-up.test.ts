/**
 * Step-up by acr_values: an application asking for the multi-factor acr gets a second factor
 * even inside a single-factor session, without the password again, and then an ID token with
 * amr pwd, otp, mfa; a session that is multi-factor already is not asked again. The same holds
 * for single sign-on into an application whose policy asks this user for a second factor.
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

const MULTI_FACTOR = { acr_values: ACR_MULTI_FACTOR };

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('step-up by acr_values', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  /** mfa_policy never: its logins are single-factor unless acr_values asks. */
  let relaxed: oidc.Configuration;
  /** No mfa_policy: MFA_POLICY, enrolled by default. */
  let plain: oidc.Configuration;
  let strict: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    const client = await createClient(tessera, { mfa_policy: 'never' });
    relaxed = await discover(tessera.issuer, client.client_id, client.client_secret);
    const plainClient = await createClient(tessera);
    plain = await discover(tessera.issuer, plainClient.client_id, plainClient.client_secret);
    const strictClient = await createClient(tessera, { mfa_policy: 'always' });
    strict = await discover(tessera.issuer, strictClient.client_id, strictClient.client_secret);
  });
  afterAll(() => tessera?.stop());

  async function enrolledUser() {
    const user = await createUser(tessera);
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(user.profile);
    await tessera.services.mfaEnrolment.confirmTotp(user.profile.user_id, enrolment.authenticator_id, codeAt(enrolment.secret));
    return { ...user, secret: enrolment.secret };
  }

  /** Starts an authorization request in this browser; `finish` redeems the code it ends with. */
  async function authorize(browser: Browser, params: Record<string, string> = {}, config = relaxed) {
    const started = await openLoginPage(config, 'openid', params, browser);
    const finish = async (visit: Visit) => {
      if (isPage(visit)) throw new Error(`expected a redirect to the application, got ${visit.status}: ${visit.html.slice(0, 400)}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(visit.redirect), {
        pkceCodeVerifier: started.codeVerifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
      return tokens.claims();
    };
    return { visit: started.page, finish };
  }

  /** A browser holding a single-factor session of the user. */
  async function signedIn(user: { email: string; password: string }) {
    const browser = new Browser();
    const first = await authorize(browser);
    const claims = await first.finish(
      await browser.submit(page(first.visit), { username: user.email, password: user.password }, REDIRECT_URI),
    );
    expect(claims).toMatchObject({ amr: ['pwd'] });
    return browser;
  }

  it('asks an application’s acr_values for multi-factor inside a single-factor session with only the second factor, then issues amr pwd, otp, mfa', async () => {
    const user = await enrolledUser();
    const browser = await signedIn(user);
    const stepUp = await authorize(browser, MULTI_FACTOR);
    const step = page(stepUp.visit);
    expect(step.url).toMatch(/\/mfa$/);
    expect(step.document.querySelector('input[name=password]')).toBeNull();
    const claims = await stepUp.finish(await browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    expect(claims).toMatchObject({ sub: user.profile.user_id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
  });

  it('does not ask again once the session is multi-factor', async () => {
    const user = await enrolledUser();
    const browser = await signedIn(user);
    const stepUp = await authorize(browser, MULTI_FACTOR);
    await stepUp.finish(await browser.submit(page(stepUp.visit), { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    const again = await authorize(browser, MULTI_FACTOR);
    expect(await again.finish(again.visit)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
    const plain = await authorize(browser);
    expect(await plain.finish(plain.visit)).toMatchObject({ acr: ACR_MULTI_FACTOR });
  });

  it('makes a user without a factor enrol an authenticator app when an application asks for multi-factor', async () => {
    const user = await createUser(tessera);
    const browser = await signedIn(user);
    const stepUp = await authorize(browser, MULTI_FACTOR);
    const enrol = page(stepUp.visit);
    const secret = String(enrol.document.querySelector('.secret')?.text);
    const codes = page(await browser.submit(enrol, { code: codeAt(secret) }, REDIRECT_URI));
    const next = String(codes.document.querySelector('a.connection')?.getAttribute('href'));
    expect(await stepUp.finish(await browser.navigate(next, REDIRECT_URI))).toMatchObject({ amr: ['pwd', 'otp', 'mfa'] });
  });

  it('answers login_required to prompt=none asking for multi-factor in a single-factor session', async () => {
    const user = await enrolledUser();
    const browser = await signedIn(user);
    const silent = await authorize(browser, { ...MULTI_FACTOR, prompt: 'none' });
    if (isPage(silent.visit)) throw new Error('expected a redirect');
    expect(new URL(silent.visit.redirect).searchParams.get('error')).toBe('login_required');
  });

  it('asks for the password and then the code when an application asks for multi-factor without a session', async () => {
    const user = await enrolledUser();
    const browser = new Browser();
    const fresh = await authorize(browser, MULTI_FACTOR);
    const step = page(await browser.submit(page(fresh.visit), { username: user.email, password: user.password }, REDIRECT_URI));
    expect(step.url).toMatch(/\/mfa$/);
    const claims = await fresh.finish(await browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI));
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
  });

  it('asks a single-factor session for the second factor at single sign-on into an application whose policy asks this user for one', async () => {
    const user = await enrolledUser();
    const browser = await signedIn(user);
    const sso = await authorize(browser, {}, plain);
    const step = page(sso.visit);
    expect(step.url).toMatch(/\/mfa$/);
    expect(await sso.finish(await browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI))).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
    });
  });

  it('lets a single-factor session of a user without a factor into an application under enrolled, and makes them enrol for one under always', async () => {
    const user = await createUser(tessera);
    const browser = await signedIn(user);
    const sso = await authorize(browser, {}, plain);
    expect(await sso.finish(sso.visit)).toMatchObject({ amr: ['pwd'] });
    const strictSso = await authorize(browser, {}, strict);
    expect(page(strictSso.visit).document.querySelector('.secret')).not.toBeNull();
  });
});
