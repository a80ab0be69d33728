/**
 * An upstream login (an oidc connection) followed by Tessera's own second factor, under the
 * same policy as a password: the application's mfa_policy always makes the upstream's user add
 * an authenticator app, and the ID token says fed, otp, mfa.
 */
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamCallbackUrl } from '../../server/connections/upstream-callback-url.js';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';
import { signInUpstream, startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js';

const CONNECTION = 'Partner-SSO';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('an upstream login followed by the second factor', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let upstream: UpstreamOidc;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    upstream = await startUpstreamOidc(upstreamCallbackUrl(tessera.issuer));
    upstream.accounts.set('carol', { email: 'carol@example.org', email_verified: true });
    const client = await createClient(tessera, { mfa_policy: 'always' });
    const admin = await adminClient(tessera.issuer);
    await admin.connections.create.mutate({
      name: CONNECTION,
      strategy: 'oidc',
      options: { issuer: upstream.issuer, client_id: upstream.client.clientId, client_secret: upstream.client.clientSecret },
      enabled_clients: [client.client_id],
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await upstream?.stop();
  });

  /** From the application's request with connection=Partner-SSO, through the upstream, back at Tessera. */
  async function throughUpstream(browser: Browser) {
    const rp = { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(rp.codeVerifier),
      code_challenge_method: 'S256',
      state: rp.state,
      nonce: rp.nonce,
      connection: CONNECTION,
    });
    const callback = upstreamCallbackUrl(tessera.issuer);
    const sent = await browser.navigate(url.href, upstream.authorizationEndpoint);
    if (isPage(sent)) throw new Error(`expected a redirect to the upstream, got ${sent.status}`);
    const back = await signInUpstream(browser, upstream, await browser.navigate(sent.redirect, callback), 'carol', callback);
    if (isPage(back)) throw new Error(`the upstream did not send the browser back: ${back.status}`);
    const visit = await browser.navigate(back.redirect, REDIRECT_URI);
    const claims = async (end: Visit) => {
      if (isPage(end)) throw new Error(`the login did not complete: ${end.status} ${end.html.slice(0, 300)}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(end.redirect), {
        pkceCodeVerifier: rp.codeVerifier,
        expectedState: rp.state,
        expectedNonce: rp.nonce,
      });
      return tokens.claims();
    };
    return { visit, claims };
  }

  it('makes the upstream’s user add an authenticator app under always, then asks for its code at the next login', async () => {
    const browser = new Browser();
    const first = await throughUpstream(browser);
    const enrol = page(first.visit);
    expect(enrol.url).toMatch(/\/mfa$/);
    const secret = String(enrol.document.querySelector('.secret')?.text);
    const codes = page(await browser.submit(enrol, { code: codeAt(secret) }, REDIRECT_URI));
    const next = String(codes.document.querySelector('a.connection')?.getAttribute('href'));
    expect(await first.claims(await browser.navigate(next, REDIRECT_URI))).toMatchObject({
      amr: ['fed', 'otp', 'mfa'],
      acr: ACR_MULTI_FACTOR,
    });

    const other = new Browser();
    const second = await throughUpstream(other);
    const challenge = page(second.visit);
    expect(challenge.document.querySelector('input[name=method]')?.getAttribute('value')).toBe('totp');
    const claims = await second.claims(await other.submit(challenge, { code: codeAt(secret, 30) }, REDIRECT_URI));
    expect(claims).toMatchObject({ amr: ['fed', 'otp', 'mfa'], acr: ACR_MULTI_FACTOR });
  });
});
