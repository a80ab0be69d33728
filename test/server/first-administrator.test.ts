import { decodeJwt } from 'jose';
import { parse } from 'node-html-parser';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSetupTokenQueries } from '../../adapters/queries/setup-tokens.js';
import { CONSOLE_CLIENT_ID } from '../../server/clients/console-client.js';
import { createFirstAdministratorSetup, SETUP_LINK_TTL_MS } from '../../server/first-administrator/first-administrator.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { adminClient, managementClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type Started = Awaited<ReturnType<typeof startTestTessera>>;

const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';

/** The setup form of a link, posted at `origin` (any node), as a browser would. */
async function submit(origin: string, token: string, fields: { email: string; password: string; password_again?: string }) {
  const response = await fetch(`${origin}/admin/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password_again: fields.password, ...fields }),
    redirect: 'manual',
  });
  return { status: response.status, html: await response.text() };
}

async function open(origin: string, token: string) {
  const response = await fetch(`${origin}/admin/setup?token=${encodeURIComponent(token)}`);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

describe('the first administrator', () => {
  let first: Started;
  let second: Started;
  let linkA: string;
  let linkB: string;
  /** The token of the link that created the administrator. */
  let spent: string;
  const adminEmail = 'first.admin@example.com';
  const adminPassword = 'a strong first password';

  beforeAll(async () => {
    first = await startTestTessera();
    // A second node of the same deployment (one issuer, one database), before any administrator exists: it offers its own link.
    second = await startTestTessera({ databaseUrl: first.databaseUrl, env: { ISSUER: first.issuer } });
    linkA = first.setupLink ?? '';
    linkB = second.setupLink ?? '';
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('is offered at each start while no user holds a management scope: one random link per start, stored hashed', async () => {
    expect(linkA).toMatch(new RegExp(`^${first.issuer}/admin/setup\\?token=[A-Za-z0-9_-]{43}$`));
    expect(linkB).toMatch(new RegExp(`^${first.issuer}/admin/setup\\?token=[A-Za-z0-9_-]{43}$`));
    expect(tokenOf(linkA)).not.toBe(tokenOf(linkB));
    const stored = await first.database.models.sequelize.query<{ token_hash: string }>('SELECT token_hash FROM admin_setup_tokens', {
      type: QueryTypes.SELECT,
    });
    expect(stored).toHaveLength(2);
    expect(JSON.stringify(stored)).not.toContain(tokenOf(linkA));
    expect(JSON.stringify(stored)).not.toContain(tokenOf(linkB));
  });

  it('opens a page with labelled inputs, in the pages’ frame and policy, on any node', async () => {
    const page = await open(second.url, tokenOf(linkA));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    const document = parse(page.html);
    for (const name of ['email', 'password', 'password_again']) {
      const input = document.querySelector(`input[name="${name}"]`);
      expect(input).not.toBeNull();
      expect(document.querySelector(`label[for="${input?.getAttribute('id')}"]`)).not.toBeNull();
    }
    expect(document.querySelector('input[name="token"]')?.getAttribute('value')).toBe(tokenOf(linkA));
    expect(document.querySelector('form')?.getAttribute('method')).toBe('post');
  });

  it('shows the form again with the reason, the link unspent, for differing passwords, a weak one or a bad email (escaped)', async () => {
    const token = tokenOf(linkA);
    const differ = await submit(first.url, token, { email: adminEmail, password: adminPassword, password_again: 'something else' });
    expect(differ.status).toBe(400);
    expect(differ.html).toContain('The two passwords differ.');
    const weak = await submit(first.url, token, { email: adminEmail, password: 'short' });
    expect(weak.status).toBe(400);
    expect(parse(weak.html).querySelector('[role="alert"]')?.text).toMatch(/password/i);
    const bad = await submit(first.url, token, { email: '<script>alert(1)</script>', password: adminPassword });
    expect(bad.status).toBe(400);
    expect(bad.html).not.toContain('<script>alert(1)</script>');
    expect(bad.html).toContain('&lt;script&gt;');
    expect((await open(first.url, token)).status).toBe(200);
  });

  it('refuses an unknown token with a 403 page saying the link is not valid', async () => {
    const page = await open(first.url, 'A'.repeat(43));
    expect(page.status).toBe(403);
    expect(parse(page.html).querySelector('[role="alert"]')?.text).toContain('not valid');
    expect((await open(first.url, '')).status).toBe(403);
  });

  it('makes one first administrator of two links used at once, on two nodes, holding every management scope', async () => {
    const [one, other] = await Promise.all([
      submit(second.url, tokenOf(linkA), { email: adminEmail, password: adminPassword }),
      submit(first.url, tokenOf(linkB), { email: 'second.try@example.com', password: adminPassword }),
    ]);
    expect([one.status, other.status].sort()).toEqual([201, 409]);
    const winner = one.status === 201 ? adminEmail : 'second.try@example.com';
    spent = one.status === 201 ? tokenOf(linkA) : tokenOf(linkB);
    const admin = await adminClient(first.issuer);
    const [created] = await admin.users.getByEmail.query({ email: winner });
    expect(created?.management_scopes).toEqual([...MANAGEMENT_SCOPES]);
    expect(await admin.users.getByEmail.query({ email: winner === adminEmail ? 'second.try@example.com' : adminEmail })).toEqual([]);
    if (winner !== adminEmail) await admin.users.update.mutate({ id: created!.user_id!, email: adminEmail, password: adminPassword });
  });

  it('refuses every link once an administrator exists, with a 409 page, and a new start offers none', async () => {
    for (const link of [linkA, linkB]) {
      const page = await open(first.url, tokenOf(link));
      expect(page.status).toBe(409);
      expect(page.html).toContain('An administrator already exists');
      expect((await submit(first.url, tokenOf(link), { email: 'late@example.com', password: adminPassword })).status).toBe(409);
    }
    const third = await startTestTessera({ databaseUrl: first.databaseUrl, env: { ISSUER: first.issuer } });
    try {
      expect(third.setupLink).toBeUndefined();
    } finally {
      await third.stop();
    }
  });

  it('lets the administrator sign in through the console’s client with every management scope', async () => {
    const console_ = await discover(first.issuer, CONSOLE_CLIENT_ID);
    const { tokens } = await login(console_, {
      scope: `openid ${MANAGEMENT_SCOPES.join(' ')}`,
      username: adminEmail,
      password: adminPassword,
      redirectUri: `${first.issuer}/admin/callback`,
      extraParams: { resource: `${first.issuer}/api/v2/` },
    });
    expect(String(decodeJwt(tokens.access_token)['scope']).split(' ').sort()).toEqual([...MANAGEMENT_SCOPES].sort());
    const page = await managementClient(first.issuer, tokens.access_token).users.list.query({ q: `email:"${adminEmail}"` });
    expect(page.users).toHaveLength(1);
  });

  it('refuses a spent link as used, and an expired one as expired, once no administrator exists again', async () => {
    const admin = await adminClient(first.issuer);
    for (const user of await admin.users.getByEmail.query({ email: adminEmail })) {
      await admin.users.update.mutate({ id: user.user_id!, management_scopes: [] });
    }
    const page = await open(first.url, spent);
    expect(page.status).toBe(403);
    expect(page.html).toContain('already been used');
    const fresh = first.services.firstAdministrator;
    const token = (await fresh.offer()) ?? '';
    expect((await open(first.url, token)).status).toBe(200);
    await first.database.models.sequelize.query(
      `UPDATE admin_setup_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
    );
    const expired = await open(first.url, token);
    expect(expired.status).toBe(403);
    expect(expired.html).toContain('has expired');
    expect((await submit(first.url, token, { email: 'too.late@example.com', password: adminPassword })).status).toBe(403);
  });

  it('keeps a link valid for an hour from its offer, by the clock it is given', async () => {
    let now = new Date('2026-12-02T12:00:00Z');
    const setup = createFirstAdministratorSetup({
      tokens: createSetupTokenQueries(first.database.models),
      users: first.services.users,
      profiles: first.services.profiles,
      events: first.services.events,
      now: () => now,
    });
    const token = (await setup.offer()) ?? '';
    now = new Date(now.getTime() + SETUP_LINK_TTL_MS - 1000);
    expect(await setup.refusal(token)).toBeUndefined();
    now = new Date(now.getTime() + 1000);
    expect(await setup.refusal(token)).toMatchObject({ code: 'setup.link_refused', message: expect.stringContaining('expired') });
  });
});
