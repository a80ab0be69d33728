import type * as oidc from 'openid-client';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createLegacyDatabase, LEGACY_SCRIPT, type LegacyDatabase } from '../../fixtures/custom-db/legacy-database.js';
import { Browser, isPage, type Page, type Visit } from '../../support/browser.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { logSink } from '../../support/log-sink.js';
import { clientCredentialsToken, managementClient } from '../../support/management-client.js';
import { discover, login, openLoginPage } from '../../support/relying-party.js';
import { linkIn, nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../../support/smtp-capture.js';
import { startTestTessera } from '../../support/tessera.js';

/** Requests one IP may make per window here: low, so the limit is reached in a few requests. */
const IP_LIMIT = 3;
/** What one address may be sent per hour (server/abuse/account-requests.ts). */
const ADDRESS_LIMIT = 5;

describe('"Forgot your password?" on the login page', () => {
  const logs: unknown[] = [];
  let smtp: TestSmtp;
  let legacy: LegacyDatabase;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;
  let nextIp = 1;

  beforeAll(async () => {
    [smtp, legacy] = await Promise.all([startSmtp(), createLegacyDatabase()]);
    tessera = await startTestTessera({
      env: { SMTP_URL: smtpUrl(smtp.port), TRUST_PROXY: '1', LOGIN_IP_MAX_FAILURES: String(IP_LIMIT) },
      logger: createLogger('debug', logSink(logs)),
    });
    const client = await createClient(tessera, { client_name: 'Shop' });
    const admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    await admin.connections.create.mutate({
      name: 'Legacy-Import',
      strategy: 'custom',
      options: { script: LEGACY_SCRIPT, configuration: { database_url: legacy.url }, timeout_ms: 30_000, import_users: true },
      enabled_clients: [client.client_id],
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await legacy?.close();
    await smtp?.close();
  });

  const newBrowser = () => new Browser({ 'x-forwarded-for': `192.0.2.${nextIp++}` });

  function page(visit: Visit): Page {
    if (!isPage(visit)) throw new Error(`expected a page, got a redirect to ${visit.redirect}`);
    return visit;
  }

  async function forgotPage(browser: Browser, connection = 'Username-Password') {
    const started = await openLoginPage(config, 'openid', { connection }, browser);
    const shown = page(started.page);
    const link = shown.document.querySelector('a[href*="/forgot"]')?.getAttribute('href');
    if (!link) throw new Error('no "Forgot your password?" link on the login page');
    const uid = /\/interaction\/([^/]+)\//.exec(link)?.[1] ?? '';
    return { uid, form: page(await browser.navigate(new URL(link, tessera.issuer).toString())) };
  }

  async function requestReset(email: string, browser = newBrowser(), connection?: string) {
    const { uid, form } = await forgotPage(browser, connection);
    return { uid, answer: page(await browser.submit(form, { email })) };
  }

  const queuedFor = async (recipient: string) =>
    (
      await tessera.database.sequelize.query<{ kind: string }>('SELECT kind FROM mail_outbox WHERE recipient = $1', {
        bind: [recipient],
        type: QueryTypes.SELECT,
      })
    ).map((row) => row.kind);

  it('asks for the email of the account, with a way back to the login', async () => {
    const { uid, form } = await forgotPage(newBrowser());
    expect(form.status).toBe(200);
    const input = form.document.querySelector('input[name=email]');
    expect(input?.getAttribute('type')).toBe('email');
    expect(input?.getAttribute('autocomplete')).toBe('email');
    const back = form.document.querySelectorAll('a').find((link) => link.text === 'Back to log in');
    expect(back?.getAttribute('href')).toBe(`/interaction/${uid}`);
  });

  it('refuses the reset page of a connection this application does not offer, with a page saying so', async () => {
    const browser = newBrowser();
    const { uid } = await forgotPage(browser);
    const refused = page(await browser.navigate(`${tessera.issuer}/interaction/${uid}/forgot?connection=Elsewhere`));
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('connection &quot;Elsewhere&quot; offers no password reset for this application');
  });

  it('answers the same for a known and an unknown address, and mails a reset link to the known one only', async () => {
    const known = await createUser(tessera);
    const unknown = `nobody-${Date.now()}@example.com`;
    const forKnown = await requestReset(known.email);
    const forUnknown = await requestReset(unknown);

    const neutral = (answer: Page, uid: string, email: string) => answer.html.replaceAll(uid, '').replaceAll(email, '');
    expect(forKnown.answer.status).toBe(200);
    expect(forUnknown.answer.status).toBe(200);
    expect(neutral(forUnknown.answer, forUnknown.uid, unknown)).toBe(neutral(forKnown.answer, forKnown.uid, known.email));
    expect(forKnown.answer.document.querySelector('[role=status]')?.text).toBe(
      `If an account exists for ${known.email}, we sent it a link to set a new password.`,
    );

    const message = await nextMessage(smtp, known.email, { subject: /Reset your Shop password/ });
    const link = new URL(linkIn(message));
    expect(link.pathname).toBe('/tickets/reset-password');
    // The reset page sends the person back to the login they came from.
    const ticket = await tessera.services.accountTickets.inspect(link.searchParams.get('ticket') ?? '', ['reset_password']);
    expect(ticket.result_url).toBe(`${tessera.issuer}/interaction/${forKnown.uid}`);
    expect(ticket.user_id).toBe(known.profile.user_id);
    expect(await queuedFor(unknown)).toEqual([]);
  });

  it('finds a custom database connection’s user imported at an earlier login, and mails them the link', async () => {
    const email = `member-${Date.now()}@example.com`;
    await legacy.addMember({ mail: email, password: 'legacy password 1' });
    await login(config, { scope: 'openid', username: email, password: 'legacy password 1', extraParams: { connection: 'Legacy-Import' } });

    const { answer } = await requestReset(email, newBrowser(), 'Legacy-Import');
    expect(answer.status).toBe(200);
    const message = await nextMessage(smtp, email, { subject: /Reset your Shop password/ });
    expect(new URL(linkIn(message)).pathname).toBe('/tickets/reset-password');
  });

  it('refuses an IP over its limit with 429 and Retry-After, sending nothing more', async () => {
    const browser = newBrowser();
    const known = await createUser(tessera);
    const { form } = await forgotPage(browser);
    for (let attempt = 0; attempt < IP_LIMIT; attempt += 1) {
      expect(page(await browser.submit(form, { email: `someone-${attempt}@example.com` })).status).toBe(200);
    }
    const refused = page(await browser.submit(form, { email: known.email }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(await queuedFor(known.email)).toEqual([]);
  });

  it('refuses an address named more often than its limit, from any IP, with 429 and Retry-After', async () => {
    const known = await createUser(tessera);
    for (let attempt = 0; attempt < ADDRESS_LIMIT; attempt += 1) {
      expect((await requestReset(known.email)).answer.status).toBe(200);
    }
    const refused = await requestReset(known.email);
    expect(refused.answer.status).toBe(429);
    expect(Number(refused.answer.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.answer.document.querySelector('.error')?.text).toMatch(/^Too many requests for this address\. Try again in /);
    await expect.poll(() => queuedFor(known.email)).toHaveLength(ADDRESS_LIMIT);
  });

  it('writes no link and no token of any message to the log', async () => {
    expect(smtp.received.length).toBeGreaterThan(0);
    const written = JSON.stringify(logs);
    for (const message of smtp.received) {
      const link = new URL(linkIn(message));
      expect(written).not.toContain(link.searchParams.get('ticket') ?? link.toString());
      expect(written).not.toContain(link.toString());
    }
    expect(written).toContain('password reset link sent');
  });
});
