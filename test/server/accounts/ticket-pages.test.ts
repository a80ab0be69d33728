/**
 * The pages the account mail's links open, against a real Tessera whose messages arrive at a
 * real SMTP server: a verification link verifies once and is refused after, as is an expired
 * one or one whose user changed password; a change-of-email link moves the account unless the
 * address is taken; a reset link's GET spends nothing, its POST sets the password under the
 * connection's policy, ends every session (unless told to keep them) and sends the notice; a
 * custom database hears of the new password through its script. No log holds a link.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { createLegacyDatabase, LEGACY_SCRIPT, type LegacyDatabase } from '../../fixtures/custom-db/legacy-database.js';
import { Browser, isPage, type Page } from '../../support/browser.js';
import { createClient } from '../../support/fixtures.js';
import { logSink } from '../../support/log-sink.js';
import { adminClient } from '../../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../../support/relying-party.js';
import { linkIn, nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../../support/smtp-capture.js';
import { startTestTessera } from '../../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;
type Admin = Awaited<ReturnType<typeof adminClient>>;

const OLD_PASSWORD = 'the old password';
const NEW_PASSWORD = 'a brand new password';

/** Every link a test saw, to look for in the logs at the end. */
const links: string[] = [];
const logs: unknown[] = [];
let serial = 0;

async function open(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const ticketOf = (link: string) => new URL(link).searchParams.get('ticket') ?? '';

function postReset(issuer: string, ticket: string, password: string, again = password, headers: Record<string, string> = {}) {
  return open(`${issuer}/tickets/reset-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ ticket, password, password_again: again }),
  });
}

async function startWithMail(smtp: TestSmtp, env: Record<string, string> = {}) {
  return startTestTessera({ env: { SMTP_URL: smtpUrl(smtp.port), ...env }, logger: createLogger('debug', logSink(logs)) });
}

describe('the pages of account links', () => {
  let smtp: TestSmtp;
  let tessera: TestTessera;
  let admin: Admin;
  let config: oidc.Configuration;
  let legacy: LegacyDatabase;
  let clientId: string;
  let legacyConnectionId: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    legacy = await createLegacyDatabase();
    tessera = await startWithMail(smtp);
    admin = await adminClient(tessera.issuer);
    const client = await createClient(tessera, { client_name: 'Ticket App' });
    clientId = client.client_id;
    const created = await admin.connections.create.mutate({
      name: 'Legacy',
      strategy: 'custom',
      options: { script: LEGACY_SCRIPT, configuration: { database_url: legacy.url }, timeout_ms: 30_000 },
      enabled_clients: [client.client_id],
    });
    legacyConnectionId = created.id;
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await smtp?.close();
    await legacy?.close();
  });

  async function newUser(extra: Record<string, unknown> = {}) {
    serial += 1;
    const email = `pages-${serial}@example.com`;
    const user = await admin.users.create.mutate({ connection: 'Username-Password', email, password: OLD_PASSWORD, ...extra });
    return { id: user.user_id!, email };
  }

  async function mailedLink(to: string, subject: RegExp) {
    const link = linkIn(await nextMessage(smtp, to, { subject }));
    links.push(link);
    return link;
  }

  async function handedLink(ticket: Promise<{ ticket: string }>) {
    const { ticket: link } = await ticket;
    links.push(link);
    return link;
  }

  describe('verify-email', () => {
    it("verifies the address on the link's first use, and refuses the link the second time with a 403 page", async () => {
      const user = await newUser();
      await admin.users.sendVerificationEmail.mutate({ id: user.id, client_id: clientId });
      const link = await mailedLink(user.email, /Verify your email for Ticket App/);
      expect(link.startsWith(`${tessera.issuer}/tickets/verify-email?ticket=`)).toBe(true);

      const first = await open(link);
      expect(first.status).toBe(200);
      expect(first.text).toContain('Your email address is verified');
      expect(first.text).toContain('Ticket App');
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(first.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email_verified: true });

      const second = await open(link);
      expect(second.status).toBe(403);
      expect(second.text).toContain('already been used');
    });

    it('spends nothing on a HEAD, as a link checker sends', async () => {
      const user = await newUser();
      const link = await handedLink(admin.tickets.verifyEmail.mutate({ user_id: user.id }));
      expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email_verified: false });
      expect((await open(link)).status).toBe(200);
    });

    it("sends the person to the ticket's result_url once verified", async () => {
      const user = await newUser();
      const link = await handedLink(admin.tickets.verifyEmail.mutate({ user_id: user.id, result_url: 'https://app.example/verified' }));
      const answer = await open(link);
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe('https://app.example/verified');
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email_verified: true });
    });

    it('refuses an expired link', async () => {
      const user = await newUser();
      const link = await handedLink(admin.tickets.verifyEmail.mutate({ user_id: user.id, ttl_sec: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const answer = await open(link);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('expired');
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email_verified: false });
    });

    it("refuses a link once the user's password changed", async () => {
      const user = await newUser();
      const link = await handedLink(admin.tickets.verifyEmail.mutate({ user_id: user.id }));
      await admin.users.update.mutate({ id: user.id, password: NEW_PASSWORD });
      const answer = await open(link);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('no longer valid');
    });

    it('refuses a made-up link and a reset link with a 403 page, never a 500', async () => {
      expect((await open(`${tessera.issuer}/tickets/verify-email?ticket=made-up`)).status).toBe(403);
      expect((await open(`${tessera.issuer}/tickets/verify-email`)).status).toBe(403);
      const user = await newUser();
      const reset = await handedLink(admin.tickets.passwordChange.mutate({ user_id: user.id }));
      expect((await open(`${tessera.issuer}/tickets/verify-email?ticket=${ticketOf(reset)}`)).status).toBe(403);
    });

    it('verifies the new address an operator gave, from the message sent to it', async () => {
      const user = await newUser({ email_verified: true });
      const moved = `moved-${serial}@example.com`;
      await admin.users.update.mutate({ id: user.id, email: moved });
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: moved, email_verified: false });
      const link = await mailedLink(moved, /Verify your email/);
      expect((await open(link)).status).toBe(200);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: moved, email_verified: true });
    });
  });

  describe('change-email', () => {
    it('moves the account to the new address, verified, and the person logs in with it', async () => {
      const user = await newUser();
      const newEmail = `new-home-${serial}@example.com`;
      await tessera.services.accountMail.sendEmailChange(user.id, newEmail);
      const link = await mailedLink(newEmail, /Verify your email/);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: user.email });

      const answer = await open(link);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(newEmail);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: newEmail, email_verified: true });
      await expect(login(config, { scope: 'openid email', username: newEmail, password: OLD_PASSWORD })).resolves.toBeTruthy();
      expect((await open(link)).status).toBe(403);
    });

    it('refuses an address another user of the connection has taken meanwhile, and the link works once it is free', async () => {
      const user = await newUser();
      const wanted = `wanted-${serial}@example.com`;
      await tessera.services.accountMail.sendEmailChange(user.id, wanted);
      const link = await mailedLink(wanted, /Verify your email/);
      const squatter = await admin.users.create.mutate({ connection: 'Username-Password', email: wanted, password: OLD_PASSWORD });

      const refused = await open(link);
      expect(refused.status).toBe(409);
      expect(refused.text).toContain(`Another account already uses ${wanted}`);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: user.email });

      await admin.users.delete.mutate({ id: squatter.user_id! });
      expect((await open(link)).status).toBe(200);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email: wanted, email_verified: true });
    });
  });

  describe('reset-password', () => {
    const formOf = (text: string) => ({
      ticket: /name="ticket" value="([^"]+)"/.exec(text)?.[1],
      minLength: /id="password"[^>]*minlength="(\d+)"/.exec(text)?.[1],
    });

    it('shows the form on GET without spending the link, and keeps it usable after a password the policy refuses', async () => {
      const user = await newUser();
      await tessera.services.accountMail.sendPasswordReset(user.id, user.email, { clientId });
      const link = await mailedLink(user.email, /Reset your Ticket App password/);

      for (const _visit of [1, 2]) {
        const form = await open(link);
        expect(form.status).toBe(200);
        expect(form.headers.get('cache-control')).toBe('no-store');
        expect(form.headers.get('referrer-policy')).toBe('no-referrer');
        expect(form.text).toContain('At least 8 characters');
        expect(formOf(form.text)).toEqual({ ticket: ticketOf(link), minLength: '8' });
        // The ticket goes back in the body: the form's action carries none.
        expect(form.text).toContain('action="/tickets/reset-password"');
      }

      const short = await postReset(tessera.issuer, ticketOf(link), 'short');
      expect(short.status).toBe(400);
      expect(short.text).toContain('at least 8 characters');
      const differ = await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD, `${NEW_PASSWORD}!`);
      expect(differ.status).toBe(400);
      expect(differ.text).toContain('The two passwords differ');
      const foreign = await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD, NEW_PASSWORD, { origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);

      expect((await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD)).status).toBe(200);
    });

    it('sets the password, ends every session and refresh token, sends the notice, and refuses the link after', async () => {
      const user = await newUser();
      const { tokens } = await login(config, { scope: 'openid offline_access', username: user.email, password: OLD_PASSWORD });
      expect(tokens.refresh_token).toBeTruthy();
      const link = await handedLink(
        admin.tickets.passwordChange.mutate({ user_id: user.id, result_url: 'https://app.example/signed-out', client_id: clientId }),
      );
      const before = smtp.received.length;

      const done = await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD, NEW_PASSWORD, { origin: tessera.issuer });
      expect(done.status).toBe(200);
      expect(done.text).toContain('Your password was changed');
      expect(done.text).toContain('href="https://app.example/signed-out"');

      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(login(config, { scope: 'openid', username: user.email, password: NEW_PASSWORD })).resolves.toBeTruthy();
      await expect(login(config, { scope: 'openid', username: user.email, password: OLD_PASSWORD })).rejects.toThrow(
        /login did not complete/,
      );
      const notice = await nextMessage(smtp, user.email, { subject: /Your Ticket App password was changed/, after: before });
      expect(notice.text).not.toMatch(/https?:\/\//);

      const again = await postReset(tessera.issuer, ticketOf(link), 'yet another password');
      expect(again.status).toBe(403);
      expect((await open(link)).status).toBe(403);
    });

    it('marks the email verified when the ticket says so', async () => {
      const user = await newUser();
      const link = await handedLink(admin.tickets.passwordChange.mutate({ user_id: user.id, mark_email_as_verified: true }));
      expect((await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD)).status).toBe(200);
      expect(await admin.users.get.query({ id: user.id })).toMatchObject({ email_verified: true });
    });

    it("sets a custom database user's password through the script's changePassword", async () => {
      serial += 1;
      const email = `legacy-${serial}@example.com`;
      const user = await admin.users.create.mutate({ connection: 'Legacy', email, password: OLD_PASSWORD });
      const link = await handedLink(admin.tickets.passwordChange.mutate({ user_id: user.user_id! }));
      const form = await open(link);
      expect(form.status).toBe(200);

      expect((await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD)).status).toBe(200);
      expect(await legacy.calls('changePassword', email)).toBe(1);
      const browser = new Browser();
      const { page } = await openLoginPage(config, 'openid', { connection: 'Legacy' }, browser);
      if (!isPage(page)) throw new Error('expected a login page');
      const after = await browser.submit(page as Page, { username: email, password: NEW_PASSWORD }, REDIRECT_URI);
      expect(isPage(after)).toBe(false);
    });
    it("keeps the link usable when the custom database's script fails, and nothing changes", async () => {
      serial += 1;
      const email = `legacy-${serial}@example.com`;
      const user = await admin.users.create.mutate({ connection: 'Legacy', email, password: OLD_PASSWORD });
      const link = await handedLink(admin.tickets.passwordChange.mutate({ user_id: user.user_id! }));
      const options = { script: LEGACY_SCRIPT, timeout_ms: 30_000 };
      await admin.connections.update.mutate({
        id: legacyConnectionId,
        options: { ...options, configuration: { database_url: legacy.missingDatabaseUrl() } },
      });
      try {
        const failed = await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD);
        expect(failed.status).toBe(502);
        expect(failed.text).toContain('this link still works');
      } finally {
        await admin.connections.update.mutate({
          id: legacyConnectionId,
          options: { ...options, configuration: { database_url: legacy.url } },
        });
      }
      expect((await postReset(tessera.issuer, ticketOf(link), NEW_PASSWORD)).status).toBe(200);
      expect(await legacy.calls('changePassword', email)).toBe(1);
    });
  });

  describe('with PASSWORD_RESET_KEEPS_SESSIONS=true', () => {
    let keeping: TestTessera;
    let keepingConfig: oidc.Configuration;

    beforeAll(async () => {
      keeping = await startWithMail(smtp, { PASSWORD_RESET_KEEPS_SESSIONS: 'true' });
      const client = await createClient(keeping);
      keepingConfig = await discover(keeping.issuer, client.client_id, client.client_secret);
    });
    afterAll(() => keeping?.stop());

    it('keeps the refresh tokens of a user who reset their password', async () => {
      const keepingAdmin = await adminClient(keeping.issuer);
      const email = 'keeps-sessions@example.com';
      const created = await keepingAdmin.users.create.mutate({ connection: 'Username-Password', email, password: OLD_PASSWORD });
      const { tokens } = await login(keepingConfig, { scope: 'openid offline_access', username: email, password: OLD_PASSWORD });
      const link = await handedLink(keepingAdmin.tickets.passwordChange.mutate({ user_id: created.user_id! }));
      expect((await postReset(keeping.issuer, ticketOf(link), NEW_PASSWORD)).status).toBe(200);
      await expect(oidc.refreshTokenGrant(keepingConfig, tokens.refresh_token!)).resolves.toHaveProperty('access_token');
    });
  });

  it('never writes a link or its token to the log', () => {
    expect(links.length).toBeGreaterThan(10);
    expect(logs.length).toBeGreaterThan(0);
    const written = JSON.stringify(logs);
    for (const link of links) {
      expect(written).not.toContain(ticketOf(link));
    }
    expect(written).toContain('password reset through a ticket');
  });
});
