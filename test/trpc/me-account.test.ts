/**
 * The account page's calls over HTTP, with a real person's token obtained through the login
 * page by the account client `tessera-account`, and the messages they cause read from a real
 * SMTP server: each scope guards its calls, a password change needs the current password and
 * is throttled as logins are, an email change waits for its link, the operator's metadata
 * fields are enforced, deletion waits for the operator's leave, and return addresses must be
 * registered ones.
 */
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_CHANGES_PER_HOUR } from '../../server/abuse/email-change-limit.js';
import { ACCOUNT_PAGE_SCOPES } from '../../server/accounts/account-site.js';
import { ACCOUNT_CLIENT_ID } from '../../server/clients/account-client.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient, errorOf, managementClient } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { nextMessage, smtpUrl, startSmtp, type TestSmtp } from '../support/smtp-capture.js';
import { startTestTessera } from '../support/tessera.js';

const MAX_ATTEMPTS = 3;

describe('the account page’s calls (me.*)', () => {
  let smtp: TestSmtp;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let account: oidc.Configuration;
  let app: Awaited<ReturnType<typeof createClient>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  type Person = Awaited<ReturnType<typeof createUser>>;

  /** Signs in through the login page as the account page does, and returns the token for the management API. */
  async function accountToken(person: { email: string; password: string }, scope = ACCOUNT_PAGE_SCOPES.join(' ')) {
    const { tokens } = await login(account, {
      scope,
      username: person.email,
      password: person.password,
      redirectUri: `${tessera.issuer}/account/callback`,
      extraParams: { resource: `${tessera.issuer}/api/v2/`, connection: 'Username-Password' },
    });
    return tokens.access_token;
  }

  const me = async (person: { email: string; password: string }, scope?: string) =>
    managementClient(tessera.issuer, await accountToken(person, scope)).me;

  /** What the login form answers this name and password: 'logged in', or the page's status. */
  async function loginStatus(email: string, password: string): Promise<number | 'logged in'> {
    const config = await discover(tessera.issuer, app.client_id, app.client_secret);
    const { page, browser } = await openLoginPage(config, 'openid', {}, new Browser());
    if (!isPage(page)) throw new Error('expected a login page');
    const after = await browser.submit(page, { username: email, password }, REDIRECT_URI);
    return isPage(after) ? after.status : 'logged in';
  }

  beforeAll(async () => {
    smtp = await startSmtp();
    tessera = await startTestTessera({
      env: {
        SMTP_URL: smtpUrl(smtp.port),
        BRUTE_FORCE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        ACCOUNT_METADATA_FIELDS: 'newsletter:boolean,team:string,shoe_size:number',
      },
    });
    account = await discover(tessera.issuer, ACCOUNT_CLIENT_ID);
    app = await createClient(tessera, { client_name: 'Shop' });
    admin = await adminClient(tessera.issuer);
  });
  afterAll(async () => {
    await tessera?.stop();
    await smtp?.close();
  });

  describe('scopes', () => {
    let person: Person;
    beforeAll(async () => {
      person = await createUser(tessera);
    });

    it('refuses changePassword, changeEmail and delete to a token without their scope, FORBIDDEN naming it', async () => {
      const reader = await me(person, 'openid read:current_user');
      for (const [call, scope] of [
        [reader.changePassword.mutate({ current_password: person.password, new_password: 'a new password here' }), 'update:current_user'],
        [reader.changeEmail.mutate({ email: 'elsewhere@example.com' }), 'update:current_user'],
        [reader.delete.mutate({}), 'delete:current_user'],
      ] as const) {
        const error = await errorOf(call);
        expect(error.code).toBe('FORBIDDEN');
        expect(error.message).toContain(scope);
      }
      expect(await loginStatus(person.email, person.password)).toBe('logged in');
    });

    it('refuses settings, returnTo and update to a token without their scope', async () => {
      const updater = await me(person, 'openid update:current_user');
      expect((await errorOf(updater.settings.query())).message).toContain('read:current_user');
      expect((await errorOf(updater.returnTo.query({ url: REDIRECT_URI }))).message).toContain('read:current_user');
      expect((await errorOf(updater.update.mutate({ nickname: 'x' }))).message).toContain('update:current_user_metadata');
    });
  });

  it('me.settings tells the page the metadata fields, that deletion is off, the password policy, the connections it could link, and no passkeys under an IP address', async () => {
    const person = await createUser(tessera);
    await admin.connections.create.mutate({ name: 'Partners', strategy: 'database', options: { password_policy: { min_length: 12 } } });
    expect(await (await me(person)).settings.query()).toEqual({
      metadata_fields: [
        { key: 'newsletter', type: 'boolean' },
        { key: 'team', type: 'string' },
        { key: 'shoe_size', type: 'number' },
      ],
      self_deletion: false,
      password: { min_length: 8 },
      connections: [{ name: 'Partners', strategy: 'database' }],
      // This issuer is 127.0.0.1: WebAuthn takes no IP address as relying party id.
      passkeys: false,
    });
  });

  describe('me.changePassword', () => {
    it('refuses a wrong current password with UNAUTHORIZED, and the new one then signs in, the old one not, with a notice sent', async () => {
      const person = await createUser(tessera);
      const calls = await me(person);
      const wrong = await errorOf(calls.changePassword.mutate({ current_password: 'not my password', new_password: 'brand new password' }));
      expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', field: 'current_password' });
      expect(await loginStatus(person.email, 'brand new password')).toBe(401);

      const before = smtp.received.length;
      expect(await calls.changePassword.mutate({ current_password: person.password, new_password: 'brand new password' })).toEqual({
        changed: true,
      });
      expect(await loginStatus(person.email, 'brand new password')).toBe('logged in');
      expect(await loginStatus(person.email, person.password)).toBe(401);
      const notice = await nextMessage(smtp, person.email, { subject: /password was changed/, after: before });
      expect(notice.header('Subject')).toContain('Tessera account');
    });

    it('refuses a new password shorter than the policy with BAD_REQUEST on new_password, and keeps the old one', async () => {
      const person = await createUser(tessera);
      const error = await errorOf((await me(person)).changePassword.mutate({ current_password: person.password, new_password: 'short' }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'new_password' });
      expect(await loginStatus(person.email, person.password)).toBe('logged in');
    });

    it(`blocks after ${MAX_ATTEMPTS} wrong current passwords with 429 and Retry-After, the right one and the login form included`, async () => {
      const person = await createUser(tessera);
      const token = await accountToken(person);
      const calls = managementClient(tessera.issuer, token).me;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        expect(
          (await errorOf(calls.changePassword.mutate({ current_password: `guess ${attempt}`, new_password: 'taken over!' }))).code,
        ).toBe('UNAUTHORIZED');
      }
      const response = await fetch(`${tessera.issuer}/trpc/me.changePassword`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ current_password: person.password, new_password: 'taken over!' }),
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await response.json()) as { error: { data: { code: string } } }).error.data.code).toBe('TOO_MANY_REQUESTS');
      expect(await loginStatus(person.email, person.password)).toBe(429);

      // An operator's unblock lifts it, as it lifts a login block.
      await admin.users.unblock.mutate({ id: person.profile.user_id });
      expect(await calls.changePassword.mutate({ current_password: person.password, new_password: 'after the unblock' })).toEqual({
        changed: true,
      });
    });
  });

  describe('me.changeEmail', () => {
    it('sends a link to the new address and changes nothing until it is followed', async () => {
      const person = await createUser(tessera);
      const calls = await me(person);
      const before = smtp.received.length;
      const newEmail = person.email.replace('@example.com', '@moved.example');
      expect(await calls.changeEmail.mutate({ email: newEmail.toUpperCase() })).toEqual({ pending_email: newEmail });
      const message = await nextMessage(smtp, newEmail, { after: before });
      expect(message.text).toContain(`${tessera.issuer}/tickets/verify-email?ticket=`);
      expect(smtp.received.slice(before).some((sent) => (sent.header('To') ?? '').includes(person.email))).toBe(false);
      expect(await calls.get.query()).toMatchObject({ email: person.email, email_verified: person.profile.email_verified });
    });

    it('answers an address another person holds exactly as a free one, the link going to its holder', async () => {
      const [person, other] = [await createUser(tessera), await createUser(tessera)];
      const before = smtp.received.length;
      expect(await (await me(person)).changeEmail.mutate({ email: other.email })).toEqual({ pending_email: other.email });
      await nextMessage(smtp, other.email, { after: before });
      expect((await admin.users.get.query({ id: other.profile.user_id })).email).toBe(other.email);
      expect((await admin.users.get.query({ id: person.profile.user_id })).email).toBe(person.email);
    });

    it(`sends at most ${EMAIL_CHANGES_PER_HOUR} links an hour for one person, then answers TOO_MANY_REQUESTS and sends nothing`, async () => {
      const calls = await me(await createUser(tessera));
      for (let change = 0; change < EMAIL_CHANGES_PER_HOUR; change += 1) {
        await calls.changeEmail.mutate({ email: `try-${change}@moved.example` });
      }
      const before = smtp.received.length;
      expect((await errorOf(calls.changeEmail.mutate({ email: 'one-too-many@moved.example' }))).code).toBe('TOO_MANY_REQUESTS');
      await nextMessage(smtp, `try-${EMAIL_CHANGES_PER_HOUR - 1}@moved.example`);
      expect(smtp.received.slice(before).some((sent) => (sent.header('To') ?? '').includes('one-too-many'))).toBe(false);
    });

    it('refuses the address the account already has with BAD_REQUEST', async () => {
      const person = await createUser(tessera);
      expect(await errorOf((await me(person)).changeEmail.mutate({ email: person.email }))).toMatchObject({
        code: 'BAD_REQUEST',
        field: 'email',
      });
    });
  });

  describe('me.update with ACCOUNT_METADATA_FIELDS', () => {
    let person: Person;
    beforeAll(async () => {
      person = await createUser(tessera, { user_metadata: { team: 'blue', legacy_key: 'kept' } });
    });

    it.each([
      ['a key the operator did not list', { theme: 'dark' }, 'user_metadata.theme'],
      ['a boolean field given a string', { newsletter: 'yes' }, 'user_metadata.newsletter'],
      ['a number field given a string', { shoe_size: '42' }, 'user_metadata.shoe_size'],
      ['a string field given an object', { team: { name: 'red' } }, 'user_metadata.team'],
    ])('refuses %s with BAD_REQUEST naming the key, and saves nothing', async (_case, userMetadata, field) => {
      const calls = await me(person);
      const error = await errorOf(calls.update.mutate({ nickname: 'never saved', user_metadata: userMetadata }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field });
      expect((await calls.get.query()).nickname).not.toBe('never saved');
    });

    it('saves the allowed keys with their types, removes one with null, and leaves the others as they were', async () => {
      const calls = await me(person);
      const updated = await calls.update.mutate({ name: 'New Name', user_metadata: { newsletter: true, shoe_size: 42, team: null } });
      expect(updated).toMatchObject({ name: 'New Name', user_metadata: { newsletter: true, shoe_size: 42, legacy_key: 'kept' } });
      expect(updated.user_metadata).not.toHaveProperty('team');
    });
  });

  it('refuses me.delete with FORBIDDEN while ACCOUNT_DELETION is off, and the person stays', async () => {
    const person = await createUser(tessera);
    const error = await errorOf((await me(person)).delete.mutate({}));
    expect(error.code).toBe('FORBIDDEN');
    expect(await admin.users.get.query({ id: person.profile.user_id })).toMatchObject({ user_id: person.profile.user_id });
  });

  describe('me.returnTo', () => {
    let calls: Awaited<ReturnType<typeof me>>;
    beforeAll(async () => {
      calls = await me(await createUser(tessera));
    });

    it('names the application a registered redirect URI belongs to', async () => {
      const shop = await createClient(tessera, { client_name: 'Corner Shop', redirect_uris: ['https://shop.example/after-login'] });
      expect(await calls.returnTo.query({ url: 'https://shop.example/after-login' })).toEqual({
        url: 'https://shop.example/after-login',
        client_name: shop.client_name,
      });
    });

    it.each([
      ['an address no application registered', 'https://evil.example/callback'],
      ['a longer address starting with a registered one', 'https://shop.example/after-login/../../elsewhere'],
      ['a registered address with a query added', 'https://shop.example/after-login?next=https://evil.example'],
      ['the account page’s own callback', '/account/callback'],
      ['not an address at all', 'javascript:alert(1)'],
      ['an address with quotes and backslashes', `https://shop.example/after-login'" OR 1=1 --\\`],
    ])('refuses %s with BAD_REQUEST', async (_case, url) => {
      const address = url.startsWith('/') ? `${tessera.issuer}${url}` : url;
      expect(await errorOf(calls.returnTo.query({ url: address }))).toMatchObject({ code: 'BAD_REQUEST', field: 'url' });
    });
  });
});
