/**
 * Post-login rules and the second factor: api.multifactor.enable('any') asks this login for a
 * second factor even under MFA_POLICY=never, and event.authentication.methods tells the rule how
 * the login was authenticated so far, in Auth0's names.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MULTI_FACTOR } from '../../server/mfa/authentication-methods.js';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

const RULE = `
import { appendFileSync } from 'node:fs';
const observed = new URL('./observed.jsonl', import.meta.url);
export async function onExecutePostLogin(event, api) {
  appendFileSync(observed, JSON.stringify({ user_id: event.user.user_id, authentication: event.authentication }) + '\\n');
  if (event.user.app_metadata.scenario === 'mfa') api.multifactor.enable('any');
  if (event.user.app_metadata.scenario === 'duo') {
    try { api.multifactor.enable('duo'); } catch {}
  }
}
`;

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

function page(visit: Visit): Page {
  if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
  return visit;
}

describe('rules that ask for a second factor', () => {
  let rulesDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    rulesDir = await mkdtemp(path.join(tmpdir(), 'tessera-mfa-rules-'));
    await writeFile(path.join(rulesDir, '10-multifactor.mjs'), RULE);
    await appendFile(path.join(rulesDir, 'observed.jsonl'), '');
    tessera = await startTestTessera({ env: { RULES_DIR: rulesDir, MFA_POLICY: 'never' } });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  async function observedFor(userId: string) {
    const lines = (await readFile(path.join(rulesDir, 'observed.jsonl'), 'utf8')).trim().split('\n').filter(Boolean);
    return lines
      .map((line) => JSON.parse(line) as { user_id: string; authentication: unknown })
      .filter((entry) => entry.user_id === userId);
  }

  async function userIn(scenario: string, enrolled: boolean) {
    const user = await createUser(tessera, { app_metadata: { scenario } });
    if (!enrolled) return { ...user, secret: '' };
    const enrolment = await tessera.services.mfaEnrolment.enrollTotp(user.profile);
    await tessera.services.mfaEnrolment.confirmTotp(user.profile.user_id, enrolment.authenticator_id, codeAt(enrolment.secret));
    return { ...user, secret: enrolment.secret };
  }

  async function afterPassword(user: { email: string; password: string }) {
    const browser = new Browser();
    const started = await openLoginPage(config, 'openid', {}, browser);
    const visit = await browser.submit(page(started.page), { username: user.email, password: user.password }, REDIRECT_URI);
    const claims = async (end: Visit) => {
      if (isPage(end)) throw new Error(`the login did not complete: ${end.status} ${end.html.slice(0, 300)}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(end.redirect), {
        pkceCodeVerifier: started.codeVerifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      });
      return tokens.claims();
    };
    return { visit, browser, claims };
  }

  it('asks an enrolled user for a code when a rule enables multi-factor, though MFA_POLICY is never', async () => {
    const user = await userIn('mfa', true);
    const { visit, browser, claims } = await afterPassword(user);
    const step = page(visit);
    expect(step.url).toMatch(/\/mfa$/);
    expect(await claims(await browser.submit(step, { code: codeAt(user.secret, 30) }, REDIRECT_URI))).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
      acr: ACR_MULTI_FACTOR,
    });
  });

  it('lets an enrolled user through on the password alone when no rule asks, under MFA_POLICY never', async () => {
    const user = await userIn('plain', true);
    const { visit, claims } = await afterPassword(user);
    expect(await claims(visit)).toMatchObject({ amr: ['pwd'] });
  });

  it('makes a user without a factor enrol when a rule enables multi-factor', async () => {
    const user = await userIn('mfa', false);
    const { visit } = await afterPassword(user);
    expect(page(visit).document.querySelector('.secret')?.text).toMatch(/^[A-Z2-7]+$/);
  });

  it('tells the rule how the login was authenticated so far, in Auth0’s names', async () => {
    const user = await userIn('plain', false);
    await afterPassword(user);
    expect(await observedFor(user.profile.user_id)).toEqual([
      { user_id: user.profile.user_id, authentication: { methods: [{ name: 'pwd' }] } },
    ]);
  });

  it('refuses the login when a rule names a provider Tessera does not have, even if it catches the error', async () => {
    const user = await userIn('duo', true);
    const { visit } = await afterPassword(user);
    expect(page(visit).status).toBe(403);
  });
});
