/**
 * A user whose identity holds an imported hash signs in through the real login form with the
 * old password; that login replaces the hash by Tessera's argon2id, the same password keeps
 * working, a wrong one changes nothing, and the user's pending account links survive the rehash
 * (it is no change of password) while a real password change still ends them.
 */
import { createHash } from 'node:crypto';
import { hashSync as bcryptHash } from '@node-rs/bcrypt';
import type * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customPasswordHashSchema, storedPasswordHash } from '../../../server/password-hashes/imported-hashes.js';
import { createLoginRehash } from '../../../server/password-hashes/login-rehash.js';
import { hashPassword, needsRehash, verifyPassword } from '../../../server/passwords.js';
import { createClient, createUser } from '../../support/fixtures.js';
import { discover, login } from '../../support/relying-party.js';
import { startTestTessera } from '../../support/tessera.js';

let tessera: Awaited<ReturnType<typeof startTestTessera>>;
let config: oidc.Configuration;

beforeAll(async () => {
  tessera = await startTestTessera();
  const client = await createClient(tessera);
  config = await discover(tessera.issuer, client.client_id, client.client_secret);
});
afterAll(() => tessera?.stop());

const PASSWORD = 'imported from auth0';

/** A database user whose stored hash is `imported`, as a bulk import leaves it. */
async function importedUser(imported: string) {
  const { profile, email } = await createUser(tessera, { password: 'a password to be replaced' });
  await tessera.database.sequelize.query("UPDATE identities SET password_hash = $1 WHERE user_id = $2 AND provider = 'database'", {
    bind: [imported, profile.user_id],
  });
  return { userId: profile.user_id, email };
}

async function storedHash(userId: string): Promise<string> {
  const [rows] = await tessera.database.sequelize.query(
    "SELECT password_hash FROM identities WHERE user_id = $1 AND provider = 'database'",
    {
      bind: [userId],
    },
  );
  return (rows as Array<{ password_hash: string }>)[0]?.password_hash ?? '';
}

async function holders(hash: string): Promise<number> {
  const [rows] = await tessera.database.sequelize.query('SELECT count(*)::int AS n FROM identities WHERE password_hash = $1', {
    bind: [hash],
  });
  return (rows as Array<{ n: number }>)[0]?.n ?? -1;
}

const tokenOf = (url: string) => new URL(url).searchParams.get('ticket') ?? '';

describe('the first login with an imported hash', () => {
  it('signs in with the old password through the form and leaves argon2id in place of the bcrypt hash', async () => {
    for (const prefix of ['$2a$', '$2b$']) {
      const imported = bcryptHash(PASSWORD, 6).replace(/^\$2b\$/, prefix);
      const user = await importedUser(storedPasswordHash({ password_hash: imported }) ?? '');

      const { tokens } = await login(config, { scope: 'openid', username: user.email, password: PASSWORD });
      expect(tokens.claims()?.sub).toBe(user.userId);

      const after = await storedHash(user.userId);
      expect(after).toMatch(/^\$argon2id\$/);
      expect(needsRehash(after)).toBe(false);
      expect(await verifyPassword(after, PASSWORD)).toBe(true);
      expect(await holders(imported)).toBe(0);

      await expect(login(config, { scope: 'openid', username: user.email, password: PASSWORD })).resolves.toBeDefined();
      expect(await storedHash(user.userId)).toBe(after);
    }
  });

  it('rehashes a salted SHA-256 import the same way', async () => {
    const digest = createHash('sha256').update(`NaCl${PASSWORD}`).digest('hex');
    const imported = storedPasswordHash({
      custom_password_hash: customPasswordHashSchema.parse({
        algorithm: 'sha256',
        hash: { value: digest },
        salt: { value: 'NaCl', position: 'prefix' },
      }),
    });
    const user = await importedUser(imported ?? '');
    await login(config, { scope: 'openid', username: user.email, password: PASSWORD });
    expect(await storedHash(user.userId)).toMatch(/^\$argon2id\$/);
  });

  it('keeps the imported hash when the password is wrong', async () => {
    const imported = bcryptHash(PASSWORD, 6);
    const user = await importedUser(imported);
    await expect(login(config, { scope: 'openid', username: user.email, password: `${PASSWORD}!` })).rejects.toThrow(
      /login did not complete/,
    );
    expect(await storedHash(user.userId)).toBe(imported);
  });

  it('keeps the pending verification and reset links alive across the rehash, and a real password change still ends them', async () => {
    const user = await importedUser(bcryptHash(PASSWORD, 6));
    const tickets = tessera.services.accountTickets;
    const verify = await tickets.issue({ purpose: 'verify_email', userId: user.userId });
    const reset = await tickets.issue({ purpose: 'reset_password', userId: user.userId });

    await login(config, { scope: 'openid', username: user.email, password: PASSWORD });
    expect(await storedHash(user.userId)).toMatch(/^\$argon2id\$/);
    expect((await tickets.inspect(tokenOf(verify.url), ['verify_email'])).user_id).toBe(user.userId);
    expect((await tickets.inspect(tokenOf(reset.url), ['reset_password'])).user_id).toBe(user.userId);

    await tessera.services.userService.update(user.userId, { password: 'a brand new password' });
    await expect(tickets.inspect(tokenOf(reset.url), ['reset_password'])).rejects.toThrow(/email or password changed/);
    await expect(tickets.inspect(tokenOf(verify.url), ['verify_email'])).rejects.toThrow(/email or password changed/);
  });

  it('leaves alone a hash written after the one the login verified: that is a password change, and it wins', async () => {
    const imported = bcryptHash(PASSWORD, 4);
    const user = await importedUser(imported);
    const changed = await hashPassword('changed meanwhile');
    await tessera.database.sequelize.query("UPDATE identities SET password_hash = $1 WHERE user_id = $2 AND provider = 'database'", {
      bind: [changed, user.userId],
    });
    const found = await tessera.services.users.findById(user.userId);
    const identity = found?.identities.find((held) => held.provider === 'database');
    if (!identity) throw new Error('no database identity');
    const rehash = createLoginRehash({
      users: tessera.services.users,
      tickets: tessera.services.accountTickets,
      logger: pino({ level: 'silent' }),
    });
    await rehash({ ...identity, password_hash: imported }, PASSWORD);
    expect(await storedHash(user.userId)).toBe(changed);
  });
});
