/**
 * Passkeys in Debian's Chromium: a virtual authenticator through the Chrome DevTools Protocol
 * (a platform authenticator with resident keys and user verification, the person always
 * consenting), and an application's authorization request run in a page, whose tokens are
 * fetched once the browser is back at the application's redirect URI.
 * @see https://chromedevtools.github.io/devtools-protocol/tot/WebAuthn/
 */
import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { REDIRECT_URI } from './relying-party.js';
import type { createSoftwareAuthenticator } from './software-authenticator.js';

export async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    /** Hands the browser a passkey a software authenticator registered, as a synced one or bound to this device. */
    async hold(passkey: ReturnType<typeof createSoftwareAuthenticator>, { rpId, synced = false }: { rpId: string; synced?: boolean }) {
      await cdp.send('WebAuthn.addCredential', {
        authenticatorId,
        credential: {
          ...passkey.forBrowser(),
          isResidentCredential: true,
          rpId,
          signCount: 0,
          backupEligibility: synced,
          backupState: synced,
        },
      });
    },
    /** The passkeys the authenticator holds. */
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
    /** Whether the person passes the fingerprint or PIN check from now on. */
    async userVerifies(verified: boolean) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
  };
}

/**
 * Opens an authorization request of `config`'s client in the page; the application's redirect URI
 * answers "back at the application", and `tokens` redeems the code the browser brought there.
 */
export async function authorizeIn(page: Page, config: oidc.Configuration, extraParams: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  let redirect: string | undefined;
  await page.route(`${REDIRECT_URI}**`, (route) => {
    redirect = route.request().url();
    return route.fulfill({ contentType: 'text/plain', body: 'back at the application' });
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extraParams,
  });
  // A session that answers at once sends the browser straight on to the application, whose port
  // (9) Chromium calls unsafe: goto reports the navigation failed, though the route above answers it.
  const landing = await page.goto(url.toString()).catch((error: unknown) => {
    if (error instanceof Error && error.message.includes('net::ERR_UNSAFE_PORT')) return null;
    throw error;
  });
  const tokens = async () => {
    await page.getByText('back at the application').waitFor();
    if (!redirect) throw new Error('the browser did not come back to the application');
    return oidc.authorizationCodeGrant(config, new URL(redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedNonce: nonce,
      expectedState: state,
    });
  };
  return { landing, tokens };
}
