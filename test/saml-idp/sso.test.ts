import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { SAML } from '@node-saml/node-saml';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, isPage, type Page, type Visit } from '../support/browser.js';
import { createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, managementClient } from '../support/management-client.js';
import { certificateFromMetadata, formOf, pageOf, responseFacts, SP_ACS_URL, SP_ENTITY_ID, serviceProvider } from '../support/saml-sp.js';
import { startTestTessera } from '../support/tessera.js';

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MAPPINGS = {
  email: `${CLAIMS}/emailaddress`,
  name: `${CLAIMS}/name`,
  given_name: `${CLAIMS}/givenname`,
  family_name: `${CLAIMS}/surname`,
  email_verified: 'email_verified',
  logins_count: 'logins',
  'user_metadata.department': 'department',
  'app_metadata.roles': 'roles',
  nickname: 'nickname',
};

/** A post-login rule for one application only, so the other tests' logins are untouched. */
const RULE = `
export async function onExecutePostLogin(event, api) {
  if (event.client.name !== 'Ruled App') return;
  if (event.user.app_metadata.suspended) return api.access.deny('Suspended from the expense tool.');
  api.user.setAppMetadata('plan', 'gold');
}
`;

describe('Tessera as the SAML identity provider of a client with the add-on', () => {
  const logLines: Array<Record<string, unknown> & { msg: string }> = [];
  let rulesDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;
  let clientId: string;
  let idpCert: string;
  let user: Awaited<ReturnType<typeof createUser>>;

  const ssoUrl = (id = clientId) => `${tessera.issuer}/samlp/${id}`;
  const callbackUrl = (id = clientId) => `${tessera.issuer}/samlp/${id}/callback`;
  const errorText = (page: Page) => page.document.querySelector('.error')?.text;
  const sp = (options: Partial<Parameters<typeof serviceProvider>[0]> = {}) => serviceProvider({ ssoUrl: ssoUrl(), idpCert, ...options });

  function page(visit: Visit): Page {
    if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
    return visit;
  }

  const hasLoginForm = (at: Page) => at.document.querySelector('input[name=password]') !== null;

  /** SP-initiated login over HTTP-Redirect: the AuthnRequest, then Tessera's login page when there is no session. */
  async function startLogin(saml: SAML, browser = new Browser(), relayState = 'return-to=/reports') {
    return { browser, at: page(await browser.navigate(await saml.getAuthorizeUrlAsync(relayState, undefined, {}))) };
  }

  /** Through the login page to the page Tessera answers with. */
  async function login(saml: SAML, credentials = user, browser = new Browser()) {
    const started = await startLogin(saml, browser);
    expect(hasLoginForm(started.at)).toBe(true);
    return { browser, answer: page(await browser.submit(started.at, { username: credentials.email, password: credentials.password })) };
  }

  async function createSamlClient(addon: Record<string, unknown> = {}, name = 'Expense Reports') {
    const created = await admin.clients.create.mutate({
      name,
      saml_addon: { audience: SP_ENTITY_ID, acs_url: SP_ACS_URL, mappings: MAPPINGS, ...addon },
    });
    return created.client_id;
  }

  beforeAll(async () => {
    const sink = logSink(logLines);
    rulesDir = await mkdtemp(path.join(tmpdir(), 'tessera-saml-rules-'));
    await writeFile(path.join(rulesDir, '10-plan.mjs'), RULE);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink), env: { RULES_DIR: rulesDir } });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    clientId = await createSamlClient();
    idpCert = certificateFromMetadata(await (await fetch(`${tessera.issuer}/samlp/metadata/${clientId}`)).text());
    user = await createUser(tessera, {
      name: 'Jane Doe',
      given_name: 'Jane',
      family_name: 'Doe',
      email_verified: true,
      user_metadata: { department: 'Finance' },
      app_metadata: { roles: ['approver', 'auditor'] },
    });
  });
  afterAll(async () => {
    await tessera?.stop();
    await rm(rulesDir, { recursive: true, force: true });
  });

  describe('SP-initiated login', () => {
    it('sends the browser to the login page, then posts a response node-saml accepts, with the mapped profile attributes', async () => {
      const saml = sp();
      const { answer } = await login(saml);
      expect(answer.status).toBe(200);
      const form = formOf(answer.html);
      expect(form).toMatchObject({ action: SP_ACS_URL, method: 'post' });
      expect(form.fields['RelayState']).toBe('return-to=/reports');

      const { profile } = await saml.validatePostResponseAsync(form.fields);
      const stored = await admin.users.get.query({ id: user.profile.user_id });
      expect(profile).toMatchObject({
        issuer: `urn:tessera:${new URL(tessera.issuer).host}`,
        nameID: user.profile.user_id,
        nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      });
      expect(profile?.['attributes']).toEqual({
        [MAPPINGS.email]: user.email,
        [MAPPINGS.name]: 'Jane Doe',
        [MAPPINGS.given_name]: 'Jane',
        [MAPPINGS.family_name]: 'Doe',
        email_verified: 'true',
        logins: String(stored.logins_count),
        department: 'Finance',
        roles: ['approver', 'auditor'],
        nickname: stored.nickname,
      });
    });

    it('addresses the response to the ACS, answers the AuthnRequest, limits it to the audience and the lifetime, and signs response and assertion', async () => {
      const { answer } = await login(sp());
      const facts = responseFacts(formOf(answer.html).fields['SAMLResponse']!);
      expect(facts.destination).toBe(SP_ACS_URL);
      expect(facts.recipient).toBe(SP_ACS_URL);
      expect(facts.audience).toBe(SP_ENTITY_ID);
      expect(facts.inResponseTo).toMatch(/^_/);
      expect(Date.parse(facts.notOnOrAfter) - Date.parse(facts.notBefore)).toBe(3600 * 1000);
      expect(facts.signedIds.sort()).toEqual([facts.responseId, facts.assertionId].sort());
      expect(facts.signatureMethods).toEqual(Array(2).fill('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'));
    });

    it('gives the auto-posting form a policy that allows only its own script', async () => {
      const { browser, at } = await startLogin(sp());
      // Submitted and followed by hand, to see the answer's headers.
      let url = new URL(formOf(at.html).action, at.url).toString();
      let last = await browser.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: user.email, password: user.password }),
      });
      for (let location = last.headers.get('location'); location; location = last.headers.get('location')) {
        url = new URL(location, url).toString();
        last = await browser.request(url);
      }
      const csp = last.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(last.headers.get('cache-control')).toBe('no-store');
      expect(await last.text()).toContain('<script>document.forms[0].submit();</script>');
    });

    // node-saml deflates POST-bound requests unless told not to; the binding itself only base64-encodes them.
    it.each([
      ['base64-encoded, as the binding says', true],
      ['deflated, as node-saml sends by default', false],
    ])('takes the AuthnRequest over the HTTP-POST binding too, %s', async (_how, skipRequestCompression) => {
      const saml = sp({ binding: 'HTTP-POST', extra: { skipRequestCompression } });
      const browser = new Browser();
      const requestForm = pageOf(SP_ACS_URL, await saml.getAuthorizeFormAsync('posted'));
      const loginPage = page(await browser.submit(requestForm, {}));
      expect(hasLoginForm(loginPage)).toBe(true);
      const answer = page(await browser.submit(loginPage, { username: user.email, password: user.password }));
      const form = formOf(answer.html);
      expect(form.fields['RelayState']).toBe('posted');
      expect((await saml.validatePostResponseAsync(form.fields)).profile?.nameID).toBe(user.profile.user_id);
    });

    it('answers from the Tessera session without the login page, and asks again when the AuthnRequest has ForceAuthn', async () => {
      const { browser } = await login(sp());
      const saml = sp();
      const again = await startLogin(saml, browser);
      expect(hasLoginForm(again.at)).toBe(false);
      expect((await saml.validatePostResponseAsync(formOf(again.at.html).fields)).profile?.nameID).toBe(user.profile.user_id);

      const forced = await startLogin(sp({ extra: { forceAuthn: true } }), browser);
      expect(hasLoginForm(forced.at)).toBe(true);
    });

    it('sends the profile as it is at each login', async () => {
      const other = await createUser(tessera, { name: 'Before Rename', user_metadata: { department: 'Sales' } });
      const saml = sp();
      const first = await saml.validatePostResponseAsync(formOf((await login(saml, other)).answer.html).fields);
      expect(first.profile?.['attributes']).toMatchObject({ [MAPPINGS.name]: 'Before Rename', department: 'Sales' });

      await admin.users.update.mutate({ id: other.profile.user_id, name: 'After Rename', user_metadata: { department: 'Legal' } });
      const second = await saml.validatePostResponseAsync(formOf((await login(saml, other)).answer.html).fields);
      expect(second.profile?.['attributes']).toMatchObject({ [MAPPINGS.name]: 'After Rename', department: 'Legal' });
      // A value the profile does not have is not sent, rather than sent empty.
      expect(second.profile?.['attributes']).not.toHaveProperty([MAPPINGS.given_name]);
    });

    it('carries values with XML markup as text, under the signature', async () => {
      const tricky = await createUser(tessera, { name: `Eve </saml:AttributeValue><saml:AttributeValue>admin & "co" 'n'` });
      const saml = sp();
      const { profile } = await saml.validatePostResponseAsync(formOf((await login(saml, tricky)).answer.html).fields);
      expect(profile?.['attributes']).toMatchObject({ [MAPPINGS.name]: `Eve </saml:AttributeValue><saml:AttributeValue>admin & "co" 'n'` });
    });

    it('uses the email as NameID, and the signature algorithm the add-on names', async () => {
      const id = await createSamlClient(
        { name_id_attribute: 'email', signature_algorithm: 'rsa-sha512', lifetime_seconds: 300, mappings: {} },
        'Email App',
      );
      const saml = sp({ ssoUrl: ssoUrl(id) });
      const { answer } = await login(saml);
      const fields = formOf(answer.html).fields;
      const { profile } = await saml.validatePostResponseAsync(fields);
      expect(profile).toMatchObject({ nameID: user.email, nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
      expect(profile).not.toHaveProperty('attributes');
      const facts = responseFacts(fields['SAMLResponse']!);
      expect(facts.signatureMethods).toEqual(Array(2).fill('http://www.w3.org/2001/04/xmldsig-more#rsa-sha512'));
      expect(Date.parse(facts.notOnOrAfter) - Date.parse(facts.notBefore)).toBe(300 * 1000);
    });

    it('runs the post-login rules first: metadata a rule sets is in this very response', async () => {
      const id = await createSamlClient({ mappings: { 'app_metadata.plan': 'plan' } }, 'Ruled App');
      const saml = sp({ ssoUrl: ssoUrl(id) });
      const { profile } = await saml.validatePostResponseAsync(formOf((await login(saml)).answer.html).fields);
      expect(profile?.['attributes']).toEqual({ plan: 'gold' });
    });

    it('refuses to answer for a user without the email the NameID needs', async () => {
      const id = await createSamlClient({ name_id_attribute: 'email' }, 'Email Only App');
      const password = 'a long enough password';
      await admin.users.create.mutate({ connection: 'Username-Password', username: 'no-email-user', password });
      const started = await startLogin(sp({ ssoUrl: ssoUrl(id) }));
      const answer = page(await started.browser.submit(started.at, { username: 'no-email-user', password }));
      expect(answer.status).toBe(400);
      expect(errorText(answer)).toBe('This account has no email address, which Email Only App needs to identify you.');
      expect(answer.html).not.toContain('SAMLResponse');
    });
  });

  describe('what it refuses', () => {
    async function refused(url: string) {
      const logged = logLines.length;
      const at = page(await new Browser().navigate(url));
      return { at, error: errorText(at), logs: logLines.slice(logged) };
    }

    it('refuses an AuthnRequest from another service provider, naming it, escaped', async () => {
      const impostor = sp({ entityId: 'urn:impostor:<b>sp</b>' });
      const { at, error, logs } = await refused(await impostor.getAuthorizeUrlAsync('', undefined, {}));
      expect(at.status).toBe(400);
      expect(error).toBe('The AuthnRequest comes from "urn:impostor:<b>sp</b>", which is not the service provider of this application.');
      expect(at.html).toContain('urn:impostor:&lt;b&gt;sp&lt;/b&gt;');
      expect(at.html).not.toContain('<b>sp</b>');
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'SAML AuthnRequest refused', client_id: clientId }));
    });

    it('refuses a RelayState holding NUL with 400, before anything is stored', async () => {
      const { at, error } = await refused(await sp().getAuthorizeUrlAsync('return-to=\u0000/reports', undefined, {}));
      expect(at.status).toBe(400);
      expect(error).toBe('The RelayState holds a NUL character.');
    });

    it('refuses an AuthnRequest that wants the response at another ACS', async () => {
      const { at, error } = await refused(await sp({ acsUrl: 'https://attacker.example/acs' }).getAuthorizeUrlAsync('', undefined, {}));
      expect(at.status).toBe(400);
      expect(error).toBe(
        'The AuthnRequest asks for the response at "https://attacker.example/acs", which is not this application\'s assertion consumer service.',
      );
    });

    it("refuses a request without a SAMLRequest, with one that is not an AuthnRequest, or one that inflates past any AuthnRequest's size", async () => {
      expect((await refused(ssoUrl())).error).toBe('The request carries no SAMLRequest.');
      const garbage = await refused(`${ssoUrl()}?SAMLRequest=${encodeURIComponent(Buffer.from('<not-saml/>').toString('base64'))}`);
      expect(garbage.at.status).toBe(400);
      expect(garbage.error).toBe('The SAMLRequest is not a valid SAML AuthnRequest for the HTTP-Redirect binding.');
      const bomb = deflateRawSync(Buffer.alloc(5 * 1024 * 1024, ' ')).toString('base64');
      expect((await refused(`${ssoUrl()}?SAMLRequest=${encodeURIComponent(bomb)}`)).error).toBe(garbage.error);
    });

    it.each([
      [
        'addressed to another single sign-on URL',
        { Destination: 'https://other-idp.example/sso' },
        'The AuthnRequest is addressed to "https://other-idp.example/sso", not to this application\'s single sign-on URL.',
      ],
      [
        'asking for another response binding',
        { ProtocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' },
        'The AuthnRequest asks for the urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact binding; Tessera answers with HTTP-POST only.',
      ],
      ['without an issuer', { Issuer: null }, 'The AuthnRequest names no issuer, so its service provider cannot be told.'],
    ])('refuses an AuthnRequest %s', async (_what, change, message) => {
      const { Issuer: issuer = SP_ENTITY_ID, ...attributes } = change as Record<string, string | null>;
      const attributeText = Object.entries(attributes)
        .map(([name, value]) => ` ${name}="${value}"`)
        .join('');
      const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_handmade" Version="2.0" IssueInstant="${new Date().toISOString()}"${attributeText}>${issuer === null ? '' : `<saml:Issuer>${issuer}</saml:Issuer>`}</samlp:AuthnRequest>`;
      const { at, error } = await refused(`${ssoUrl()}?SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`);
      expect(at.status).toBe(400);
      expect(error).toBe(message);
    });

    it('answers 404 for an unknown client and for a client without the add-on, at the SSO URL and the metadata', async () => {
      const plain = await admin.clients.create.mutate({ name: 'Plain OIDC', redirect_uris: ['https://plain.example/cb'] });
      const request = async (id: string) => new URL(await sp({ ssoUrl: ssoUrl(id) }).getAuthorizeUrlAsync('', undefined, {})).toString();

      const unknown = await refused(await request('no-such-client'));
      expect(unknown.at.status).toBe(404);
      expect(unknown.error).toBe('There is no application with client_id "no-such-client".');
      const without = await refused(await request(plain.client_id));
      expect(without.at.status).toBe(404);
      expect(without.error).toBe('The application "Plain OIDC" does not have the SAML add-on enabled.');
      expect((await fetch(`${tessera.issuer}/samlp/metadata/${plain.client_id}`)).status).toBe(404);
      expect((await fetch(`${tessera.issuer}/samlp/metadata/no-such-client`)).status).toBe(404);
    });

    it("gives a blocked user the login page's refusal and no response", async () => {
      const blocked = await createUser(tessera, { blocked: true });
      const { answer } = await login(sp(), blocked);
      expect(answer.status).toBe(403);
      expect(errorText(answer)).toBe('This account is blocked.');
      expect(answer.html).not.toContain('SAMLResponse');
    });

    it("gives a user a rule denies the rule's page and no response", async () => {
      const id = await createSamlClient({}, 'Ruled App');
      const suspended = await createUser(tessera, { app_metadata: { suspended: true } });
      const { answer } = await login(sp({ ssoUrl: ssoUrl(id) }), suspended);
      expect(answer.status).toBe(403);
      expect(errorText(answer)).toBe('Suspended from the expense tool.');
      expect(answer.html).not.toContain('SAMLResponse');
    });

    it('stops answering a session whose user is blocked afterwards', async () => {
      const soonBlocked = await createUser(tessera);
      const { browser } = await login(sp(), soonBlocked);
      await admin.users.update.mutate({ id: soonBlocked.profile.user_id, blocked: true });
      const again = await startLogin(sp(), browser);
      expect(hasLoginForm(again.at)).toBe(true);
      expect(again.at.html).not.toContain('SAMLResponse');
    });

    it('answers the callback once, and only in the browser that brought the AuthnRequest', async () => {
      const saml = sp();
      const started = await startLogin(saml);
      const toCallback = await started.browser.submit(started.at, { username: user.email, password: user.password }, callbackUrl());
      if (isPage(toCallback)) throw new Error('expected the redirect to the SAML callback');

      const elsewhere = page(await new Browser().navigate(toCallback.redirect));
      expect(elsewhere.status).toBe(400);
      expect(errorText(elsewhere)).toBe('This SAML login was started in another browser. Please start again from the application.');
      // The attempt used the flow up: not even the right browser gets an answer now.
      const replay = page(await started.browser.navigate(toCallback.redirect));
      expect(replay.status).toBe(400);
      expect(errorText(replay)).toBe('This SAML login has expired or was already used. Please start again from the application.');
    });

    it('refuses a callback whose state names no SAML login', async () => {
      const at = page(await new Browser().navigate(`${callbackUrl()}?code=made-up&state=made-up`));
      expect(at.status).toBe(400);
      expect(errorText(at)).toBe('This SAML login has expired or was already used. Please start again from the application.');
    });

    it('ends on an error page, not a response, when the user cancels at the login page', async () => {
      const started = await startLogin(sp());
      const cancel = started.at.document.querySelector('a[href$="/abort"]')?.getAttribute('href');
      const at = page(await started.browser.navigate(new URL(cancel!, started.at.url).toString()));
      expect(at.status).toBe(403);
      expect(errorText(at)).toBe('The login did not complete: End-User aborted interaction.');
    });
  });
});
