import * as oidc from 'openid-client';
import { pino } from 'pino';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyDatabase, LEGACY_SCRIPT, type LegacyDatabase } from '../fixtures/custom-db/legacy-database.js';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { clientCredentialsToken, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

interface LogLine {
  level: number;
  msg: string;
  connection?: string;
  script_function?: string;
  error_id?: string;
  err?: { message: string; stack?: string };
  reason?: string;
}

describe('logging in through a custom database connection', () => {
  const logLines: LogLine[] = [];
  let legacy: LegacyDatabase;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: ReturnType<typeof managementClient>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    const sink = logSink(logLines);
    tessera = await startTestTessera({ logger: pino({ level: 'info' }, sink) });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    const client = await createClient(tessera);
    const connection = (name: string, options: Record<string, unknown>) =>
      admin.connections.create.mutate({
        name,
        strategy: 'custom',
        options: { script: LEGACY_SCRIPT, configuration: { database_url: legacy.url }, timeout_ms: 30_000, ...options },
        enabled_clients: [client.client_id],
      });
    await connection('Legacy', {});
    await connection('Legacy-Import', { import_users: true });
    await connection('Legacy-Gone', { configuration: { database_url: legacy.missingDatabaseUrl() } });
    await connection('Legacy-Slow', { timeout_ms: 1000 });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await legacy?.close();
  });

  const through = (connection: string) => ({ connection });
  const logIn = (connection: string, username: string, password: string, browser?: Browser) =>
    login(config, { scope: 'openid profile email', username, password, extraParams: through(connection), ...(browser ? { browser } : {}) });

  /** Submits the connection's form and returns the page Tessera answered with instead of a redirect. */
  async function failedLogin(connection: string, username: string, password: string): Promise<Page> {
    const browser = new Browser();
    const { page } = await openLoginPage(config, 'openid', through(connection), browser);
    if (!isPage(page)) throw new Error(`expected a login page, got a redirect to ${page.redirect}`);
    const after = await browser.submit(page, { username, password }, REDIRECT_URI);
    if (!isPage(after)) throw new Error('the login was expected to fail');
    return after;
  }

  const noUserWithEmail = async (email: string) => expect(await admin.users.getByEmail.query({ email })).toEqual([]);
  const loggedFailure = (connection: string) =>
    logLines.filter((line) => line.msg === 'login failed' && line.connection === connection).map((line) => line.reason);

  it('shows only the custom connection’s form for connection=<name>', async () => {
    const { page } = await openLoginPage(config, 'openid', through('Legacy'));
    if (!isPage(page)) throw new Error('expected a login page');
    expect(page.document.querySelectorAll('form input[name=connection]').map((input) => input.getAttribute('value'))).toEqual(['Legacy']);
    expect(page.document.querySelector('input[name=password]')).not.toBeNull();
  });

  it('logs a member in through the script, normalizing mail, first_name and surname into the profile, ID token and userinfo', async () => {
    const memberNo = await legacy.addMember({
      mail: 'Ada@Legacy.example',
      login: 'ada',
      first_name: 'Ada',
      surname: 'Lovelace',
      verified: true,
      password: 'analytical engine',
    });
    const userId = `custom|Legacy|${memberNo}`;
    const { tokens } = await logIn('Legacy', 'ada@legacy.example', 'analytical engine');

    expect(tokens.claims()).toMatchObject({
      sub: userId,
      email: 'ada@legacy.example',
      email_verified: true,
      given_name: 'Ada',
      family_name: 'Lovelace',
      preferred_username: 'ada',
    });
    const profile = await admin.users.get.query({ id: userId });
    expect(profile).toMatchObject({
      email: 'ada@legacy.example',
      given_name: 'Ada',
      family_name: 'Lovelace',
      username: 'ada',
      name: 'ada@legacy.example',
      nickname: 'ada',
      logins_count: 1,
    });
    expect(profile.identities).toEqual([{ connection: 'Legacy', provider: 'custom', user_id: `Legacy|${memberNo}`, isSocial: false }]);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({ sub: userId, family_name: 'Lovelace' });
  });

  it('accepts the username as well as the email, as the script does', async () => {
    const memberNo = await legacy.addMember({
      mail: 'grace@legacy.example',
      login: 'grace',
      surname: 'Hopper',
      password: 'compiler pioneer',
    });
    const { tokens } = await logIn('Legacy', 'grace', 'compiler pioneer');
    expect(tokens.claims()?.['sub']).toBe(`custom|Legacy|${memberNo}`);
  });

  it('asks the script at every login without import_users, and refreshes the profile from what it returns', async () => {
    const memberNo = await legacy.addMember({
      mail: 'alan@legacy.example',
      first_name: 'Alan',
      surname: 'Turing',
      password: 'imitation game',
    });
    const userId = `custom|Legacy|${memberNo}`;
    await logIn('Legacy', 'alan@legacy.example', 'imitation game');
    await legacy.setSurname(memberNo, 'Turing-Renamed');

    const { tokens } = await logIn('Legacy', 'alan@legacy.example', 'imitation game');
    expect(await legacy.calls('login', 'alan@legacy.example')).toBe(2);
    expect(await admin.users.get.query({ id: userId })).toMatchObject({
      family_name: 'Turing-Renamed',
      given_name: 'Alan',
      logins_count: 2,
    });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({ family_name: 'Turing-Renamed' });
    const [identity] = await tessera.database.sequelize.query<{ password_hash: string | null }>(
      `SELECT password_hash FROM identities WHERE external_id = $1`,
      { bind: [`Legacy|${memberNo}`], type: QueryTypes.SELECT },
    );
    expect(identity?.password_hash).toBeNull();
  });

  it('imports the user at the first login with import_users, then checks the local argon2id hash without asking the script', async () => {
    const memberNo = await legacy.addMember({
      mail: 'edsger@legacy.example',
      first_name: 'Edsger',
      surname: 'Dijkstra',
      password: 'shortest path',
    });
    const userId = `custom|Legacy-Import|${memberNo}`;
    await logIn('Legacy-Import', 'edsger@legacy.example', 'shortest path');
    const [identity] = await tessera.database.sequelize.query<{ password_hash: string | null }>(
      `SELECT password_hash FROM identities WHERE external_id = $1`,
      { bind: [`Legacy-Import|${memberNo}`], type: QueryTypes.SELECT },
    );
    expect(identity?.password_hash).toMatch(/^\$argon2id\$/);

    // The legacy database moves on: a new surname, and a new password the script would check instead.
    await legacy.setSurname(memberNo, 'Changed-Upstream');
    await legacy.setPassword(memberNo, 'a different password');
    const { tokens } = await logIn('Legacy-Import', 'EDSGER@legacy.example', 'shortest path');
    expect(tokens.claims()?.['sub']).toBe(userId);
    expect(await legacy.calls('login', 'edsger@legacy.example')).toBe(1);
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ family_name: 'Dijkstra', logins_count: 2 });

    const refused = await failedLogin('Legacy-Import', 'edsger@legacy.example', 'not the password');
    expect(refused.status).toBe(401);
    expect(refused.html).toContain('Wrong email, username or password.');
    expect(await legacy.calls('login', 'edsger@legacy.example')).toBe(1);
  });

  it('keeps logging an imported user in while the legacy database is locked up', async () => {
    await legacy.addMember({ mail: 'barbara@legacy.example', surname: 'Liskov', password: 'substitution principle' });
    await logIn('Legacy-Import', 'barbara@legacy.example', 'substitution principle');
    const lock = await legacy.lockMembers();
    try {
      const { tokens } = await logIn('Legacy-Import', 'barbara@legacy.example', 'substitution principle');
      expect(tokens.claims()?.['family_name']).toBe('Liskov');
    } finally {
      await lock.release();
    }
  });

  it('refuses a wrong password or an unknown member with the generic message and 401, logs it, and creates no user', async () => {
    await legacy.addMember({ mail: 'claude@legacy.example', surname: 'Shannon', password: 'information theory' });
    for (const [username, password] of [
      ['claude@legacy.example', 'entropy'],
      ['nobody@legacy.example', 'information theory'],
    ] as const) {
      const page = await failedLogin('Legacy', username, password);
      expect(page.status).toBe(401);
      expect(page.html).toContain('Wrong email, username or password.');
      await noUserWithEmail(username);
    }
    expect(loggedFailure('Legacy')).toContain('Wrong email, username or password.');
  });

  /** The error id a failure page shows. */
  const errorIdOn = (page: Page) => /Error id: ([0-9a-f]{8})\./.exec(page.document.querySelector('[role=alert]')?.text ?? '')?.[1];

  it('shows only an error id when the script throws, logs the error with its stack under that id, and creates no user', async () => {
    const page = await failedLogin('Legacy-Gone', 'claude@legacy.example', 'information theory');
    expect(page.status).toBe(502);
    expect(page.html).not.toContain('legacy_gone');
    expect(page.html).not.toContain('.mjs');
    const errorId = errorIdOn(page);
    expect(errorId).toBeDefined();
    const logged = logLines.find((line) => line.msg === 'custom database script failed' && line.connection === 'Legacy-Gone');
    expect(logged).toMatchObject({
      error_id: errorId,
      script_function: 'login',
      err: { message: 'database "legacy_gone" does not exist' },
    });
    expect(logged?.err?.stack).toBeTruthy();
    await noUserWithEmail('claude@legacy.example');
  });

  it('gives up on a script that outlives timeout_ms, logs so under the error id the page shows, and creates no user', async () => {
    await legacy.addMember({ mail: 'donald@legacy.example', surname: 'Knuth', password: 'art of programming' });
    const lock = await legacy.lockMembers();
    let errorId: string | undefined;
    try {
      const page = await failedLogin('Legacy-Slow', 'donald@legacy.example', 'art of programming');
      expect(page.status).toBe(502);
      errorId = errorIdOn(page);
    } finally {
      await lock.release();
    }
    expect(errorId).toBeDefined();
    const logged = logLines.find((line) => line.msg === 'custom database script failed' && line.connection === 'Legacy-Slow');
    expect(logged).toMatchObject({ error_id: errorId, reason: 'login timed out after 1000 ms' });
    expect(loggedFailure('Legacy-Slow')).toContain(
      `This login could not be completed because of a problem on the server. Error id: ${errorId}.`,
    );
    await noUserWithEmail('donald@legacy.example');
  });

  it('refuses a profile whose email is invalid, naming the field, and creates no user', async () => {
    const memberNo = await legacy.addMember({ mail: 'not-an-email', login: 'broken', surname: 'Broken', password: 'still a password' });
    const page = await failedLogin('Legacy', 'broken', 'still a password');
    expect(page.status).toBe(400);
    expect(page.html).toContain('connection &quot;Legacy&quot; returned an invalid profile: email:');
    expect(loggedFailure('Legacy').some((reason) => reason?.includes('returned an invalid profile'))).toBe(true);
    expect(await errorOf(admin.users.get.query({ id: `custom|Legacy|${memberNo}` }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('signs in the primary user through a linked custom identity and refreshes only that identity’s profileData', async () => {
    const { profile: primary } = await createUser(tessera, { name: 'Primary Person', given_name: 'Primary', family_name: 'Root' });
    const memberNo = await legacy.addMember({
      mail: 'linked@legacy.example',
      first_name: 'Linked',
      surname: 'Before',
      password: 'linked password',
    });
    const secondaryId = `custom|Legacy|${memberNo}`;
    await logIn('Legacy', 'linked@legacy.example', 'linked password');
    await admin.users.link.mutate({ id: primary.user_id, link_with: secondaryId });

    await legacy.setSurname(memberNo, 'After');
    const { tokens } = await logIn('Legacy', 'linked@legacy.example', 'linked password');
    expect(tokens.claims()).toMatchObject({ sub: primary.user_id, name: 'Primary Person', family_name: 'Root' });
    const profile = await admin.users.get.query({ id: primary.user_id });
    expect(profile).toMatchObject({ name: 'Primary Person', given_name: 'Primary', family_name: 'Root', email: primary.email });
    expect(profile.identities?.[1]).toMatchObject({
      connection: 'Legacy',
      provider: 'custom',
      user_id: `Legacy|${memberNo}`,
      profileData: { email: 'linked@legacy.example', given_name: 'Linked', family_name: 'After' },
    });
    expect(await errorOf(admin.users.get.query({ id: secondaryId }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, primary.user_id)).toMatchObject({ family_name: 'Root' });
  });
  it('blocks the 11th password for a member from one IP, the right one too, until users.unblock lifts it', async () => {
    const memberNo = await legacy.addMember({
      mail: 'guessed@legacy.example',
      login: 'guessed',
      first_name: 'Gus',
      surname: 'Sed',
      verified: true,
      password: 'the right password',
    });
    await logIn('Legacy', 'guessed@legacy.example', 'the right password');
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 11; attempt += 1)
      statuses.push((await failedLogin('Legacy', 'guessed@legacy.example', `wrong ${attempt}`)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
    expect((await failedLogin('Legacy', 'guessed@legacy.example', 'the right password')).status).toBe(429);

    await expect(admin.users.unblock.mutate({ id: `custom|Legacy|${memberNo}` })).resolves.toEqual({ unblocked: true });
    await expect(logIn('Legacy', 'guessed@legacy.example', 'the right password')).resolves.toBeDefined();
  });
});
