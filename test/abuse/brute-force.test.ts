import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

/**
 * One person at the login form, at `ip` as the trusted proxy reports it (TRUST_PROXY=1): the
 * proxy appends the address it saw to whatever X-Forwarded-For the client sent.
 */
class LoginForm {
  private page: Page | undefined;
  private readonly browser: Browser;

  constructor(
    private readonly config: oidc.Configuration,
    ip: string,
    sentByClient = '',
  ) {
    this.browser = new Browser({ 'x-forwarded-for': sentByClient ? `${sentByClient}, ${ip}` : ip });
  }

  /** Submits the form; the status of the page it leads to, or 303 once the login went through. */
  async submit(username: string, password: string): Promise<{ status: number; retryAfter: string | null; text: string }> {
    if (!this.page) {
      const { page } = await openLoginPage(this.config, 'openid', {}, this.browser);
      if (!isPage(page)) throw new Error('expected the login page');
      this.page = page;
    }
    const after = await this.browser.submit(this.page, { username, password }, REDIRECT_URI);
    if (!isPage(after)) {
      this.page = undefined;
      return { status: 303, retryAfter: null, text: '' };
    }
    this.page = after;
    return { status: after.status, retryAfter: after.headers?.get('retry-after') ?? null, text: after.document.text };
  }

  /** Wrong passwords until the form answers otherwise; the number of the attempt that did. */
  async guessUntilRefused(username: string, limit = 20): Promise<{ attempt: number; statuses: number[] }> {
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= limit; attempt += 1) {
      const { status } = await this.submit(username, `wrong password ${attempt}`);
      statuses.push(status);
      if (status !== 401) return { attempt, statuses };
    }
    throw new Error(`never refused in ${limit} attempts: ${statuses.join(' ')}`);
  }
}

describe('brute-force protection at the login form', () => {
  let tessera: TestTessera;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { TRUST_PROXY: '1' } });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('refuses the 11th attempt after 10 wrong passwords for one user from one IP, the right password too, with 429 and Retry-After', async () => {
    const user = await createUser(tessera);
    const form = new LoginForm(config, '203.0.113.1');
    const { attempt, statuses } = await form.guessUntilRefused(user.email);
    expect(attempt).toBe(11);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);

    const right = await form.submit(user.email, user.password);
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    expect(right.text).toContain('blocked after too many failed login attempts');
  });

  it('leaves other users at that IP and that user at other IPs free to log in', async () => {
    const [target, neighbour] = [await createUser(tessera), await createUser(tessera)];
    expect((await new LoginForm(config, '203.0.113.2').guessUntilRefused(target.email)).attempt).toBe(11);

    expect((await new LoginForm(config, '203.0.113.2').submit(neighbour.email, neighbour.password)).status).toBe(303);
    expect((await new LoginForm(config, '198.51.100.2').submit(target.email, target.password)).status).toBe(303);
    expect((await new LoginForm(config, '203.0.113.2').submit(target.email, target.password)).status).toBe(429);
  });

  it('starts the count again after a successful login', async () => {
    const user = await createUser(tessera);
    const form = new LoginForm(config, '203.0.113.3');
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await form.submit(user.email, 'wrong password')).status).toBe(401);
    expect((await form.submit(user.email, user.password)).status).toBe(303);
    expect((await new LoginForm(config, '203.0.113.3').guessUntilRefused(user.email)).attempt).toBe(11);
  });

  it('blocks a name that matches no user exactly as one that does', async () => {
    expect((await new LoginForm(config, '203.0.113.4').guessUntilRefused('nobody-here@example.com')).attempt).toBe(11);
  });

  it('lifts the block of every IP when an operator calls users.unblock', async () => {
    const user = await createUser(tessera);
    expect((await new LoginForm(config, '203.0.113.5').guessUntilRefused(user.email)).attempt).toBe(11);
    expect((await new LoginForm(config, '198.51.100.5').guessUntilRefused(user.email)).attempt).toBe(11);

    const admin = await adminClient(tessera.issuer);
    await expect(admin.users.unblock.mutate({ id: user.profile.user_id })).resolves.toEqual({ unblocked: true });

    expect((await new LoginForm(config, '203.0.113.5').submit(user.email, user.password)).status).toBe(303);
    expect((await new LoginForm(config, '198.51.100.5').submit(user.email, user.password)).status).toBe(303);
    // Counting starts anew: ten more wrong passwords block again.
    expect((await new LoginForm(config, '203.0.113.5').guessUntilRefused(user.email)).attempt).toBe(11);
  });

  it('lifts the block when the password is changed through users.update', async () => {
    const user = await createUser(tessera, { username: 'changes-password' });
    expect((await new LoginForm(config, '203.0.113.6').guessUntilRefused('changes-password')).attempt).toBe(11);

    const admin = await adminClient(tessera.issuer);
    await admin.users.update.mutate({ id: user.profile.user_id, password: 'a brand new password' });

    expect((await new LoginForm(config, '203.0.113.6').submit('changes-password', 'a brand new password')).status).toBe(303);
  });

  it('does not let a client escape the block by writing its own X-Forwarded-For entries', async () => {
    const user = await createUser(tessera);
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 11; attempt += 1) {
      const spoofed = `10.0.0.${attempt}`;
      statuses.push((await new LoginForm(config, '203.0.113.7', spoofed).submit(user.email, 'wrong password')).status);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
  });

  it('checks at most 10 passwords of 30 sent side by side', async () => {
    const user = await createUser(tessera);
    const browser = new Browser({ 'x-forwarded-for': '203.0.113.8' });
    const { page } = await openLoginPage(config, 'openid', {}, browser);
    if (!isPage(page)) throw new Error('expected the login page');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => browser.submit(page, { username: user.email, password: `wrong ${index}` }, REDIRECT_URI)),
    );
    const statuses = answers.map((answer) => (isPage(answer) ? answer.status : 303));
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });

  it('needs update:users for users.unblock, and names an unknown user NOT_FOUND', async () => {
    const user = await createUser(tessera);
    const reader = await adminClient(tessera.issuer, 'read:users');
    await expect(reader.users.unblock.mutate({ id: user.profile.user_id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const admin = await adminClient(tessera.issuer);
    await expect(admin.users.unblock.mutate({ id: 'auth0|no-such-user' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });
});

describe('login limits set through the configuration', () => {
  let tessera: TestTessera;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({
      env: {
        TRUST_PROXY: '1',
        BRUTE_FORCE_MAX_ATTEMPTS: '3',
        BRUTE_FORCE_BLOCK_SECONDS: '2',
        LOGIN_IP_MAX_FAILURES: '6',
        LOGIN_IP_WINDOW_SECONDS: '3600',
      },
    });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('blocks after BRUTE_FORCE_MAX_ATTEMPTS and lets the user in once BRUTE_FORCE_BLOCK_SECONDS have passed', async () => {
    const user = await createUser(tessera);
    const form = new LoginForm(config, '192.0.2.1');
    expect((await form.guessUntilRefused(user.email)).attempt).toBe(4);
    expect((await form.submit(user.email, user.password)).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await form.submit(user.email, user.password)).status).toBe(303);
  });

  it('throttles one IP across users after LOGIN_IP_MAX_FAILURES failures, other IPs unaffected', async () => {
    const users = await Promise.all([1, 2, 3, 4].map(() => createUser(tessera)));
    const form = new LoginForm(config, '192.0.2.2');
    const statuses: number[] = [];
    // Two failures for each of three users: none reaches its own limit of 3, the IP reaches 6.
    for (const user of users.slice(0, 3)) {
      for (let attempt = 0; attempt < 2; attempt += 1) statuses.push((await form.submit(user.email, 'wrong password')).status);
    }
    expect(statuses).toEqual(Array<number>(6).fill(401));

    const refused = await new LoginForm(config, '192.0.2.2').submit(users[3]!.email, users[3]!.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many failed login attempts from your network');
    expect((await new LoginForm(config, '192.0.2.3').submit(users[3]!.email, users[3]!.password)).status).toBe(303);
  });
});
