/**
 * storedPasswordHash: what an Auth0 import's password hash becomes in identities.password_hash,
 * and the imports refused because no login could check them. Hashes are made here by the real
 * libraries; whether a password verifies against the stored string is in verify-stored-hash.test.ts.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { hashSync as argon2Hash } from '@node-rs/argon2';
import { hashSync as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../server/errors.js';
import { type CustomPasswordHash, customPasswordHashSchema, storedPasswordHash } from '../../../server/password-hashes/imported-hashes.js';

const PASSWORD = 'correct horse battery staple';

function refusal(input: Parameters<typeof storedPasswordHash>[0]): DomainError {
  try {
    storedPasswordHash(input);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('the import was accepted');
}

const custom = (value: unknown): CustomPasswordHash => customPasswordHashSchema.parse(value);

describe('storedPasswordHash', () => {
  it('keeps no hash when the import carries none', () => {
    expect(storedPasswordHash({})).toBeUndefined();
  });

  it('keeps a bcrypt password_hash as it is, $2a$ and $2b$ alike', () => {
    const b = bcryptHash(PASSWORD, 4);
    const a = b.replace(/^\$2b\$/, '$2a$');
    expect(storedPasswordHash({ password_hash: b })).toBe(b);
    expect(storedPasswordHash({ password_hash: a })).toBe(a);
    expect(storedPasswordHash({ custom_password_hash: custom({ algorithm: 'bcrypt', hash: { value: b } }) })).toBe(b);
  });

  it('keeps argon2 and pbkdf2 PHC strings as they are', () => {
    const argon2i = argon2Hash(PASSWORD, { algorithm: 1, memoryCost: 4096, timeCost: 1 });
    const salt = Buffer.from('0123456789abcdef');
    const derived = pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256');
    const pbkdf2 = `$pbkdf2-sha256$i=1000,l=32$${salt.toString('base64').replace(/=+$/, '')}$${derived.toString('base64').replace(/=+$/, '')}`;
    expect(storedPasswordHash({ custom_password_hash: custom({ algorithm: 'argon2', hash: { value: argon2i } }) })).toBe(argon2i);
    expect(storedPasswordHash({ custom_password_hash: custom({ algorithm: 'pbkdf2', hash: { value: pbkdf2 } }) })).toBe(pbkdf2);
  });

  it('writes a salted digest and an HMAC in Tessera’s own form, with the salt’s position and the password’s encoding', () => {
    const digest = createHash('sha256').update(`${PASSWORD}pepper`).digest('hex').toUpperCase();
    const sha = storedPasswordHash({
      custom_password_hash: custom({ algorithm: 'sha256', hash: { value: digest }, salt: { value: 'pepper', position: 'suffix' } }),
    });
    expect(sha).toMatch(/^\$tessera-sha256\$pos=suffix,enc=utf8\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    const mac = createHmac('sha512', 'k3y').update(PASSWORD).digest('base64');
    const hmac = storedPasswordHash({
      custom_password_hash: custom({
        algorithm: 'hmac',
        hash: { value: mac, encoding: 'base64', digest: 'sha512', key: { value: 'k3y' } },
      }),
    });
    expect(hmac).toMatch(/^\$tessera-hmac-sha512\$pos=prefix,enc=utf8,key=[A-Za-z0-9+/]+\$\$[A-Za-z0-9+/]+$/);
  });

  it('takes an RFC 2307 {SSHA} hash as a sha1 digest salted after the password', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const ssha = `{SSHA}${Buffer.concat([createHash('sha1').update(PASSWORD).update(salt).digest(), salt]).toString('base64')}`;
    expect(storedPasswordHash({ custom_password_hash: custom({ algorithm: 'ldap', hash: { value: ssha } }) })).toMatch(
      /^\$tessera-sha1\$pos=suffix,enc=utf8\$AQIDBA\$/,
    );
  });

  it('refuses both kinds of hash at once, and a password_hash that is not bcrypt', () => {
    const b = bcryptHash(PASSWORD, 4);
    expect(refusal({ password_hash: b, custom_password_hash: custom({ algorithm: 'bcrypt', hash: { value: b } }) }).message).toMatch(
      /either/,
    );
    const argon = argon2Hash(PASSWORD);
    const refused = refusal({ password_hash: argon });
    expect(refused.code).toBe('user.invalid');
    expect(refused.field).toBe('password_hash');
    expect(refused.message).toMatch(/custom_password_hash/);
  });

  it('refuses, with what is wrong and never the hash, hashes no login could check', () => {
    const b = bcryptHash(PASSWORD, 4);
    const cases: Array<[unknown, RegExp]> = [
      [{ algorithm: 'bcrypt', hash: { value: 'not-a-hash' } }, /bcrypt hash looks like/],
      [{ algorithm: 'bcrypt', hash: { value: b.replace('$04$', '$20$') } }, /cost/],
      [{ algorithm: 'argon2', hash: { value: b } }, /PHC string/],
      [{ algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=0$c2FsdA$aGFzaA' } }, /positive integer/],
      [{ algorithm: 'pbkdf2', hash: { value: '$pbkdf2-whirlpool$i=10$c2FsdA$aGFzaA' } }, /digest among/],
      [{ algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha1$i=99000000$c2FsdA$aGFzaA' } }, /at most/],
      [{ algorithm: 'sha1', hash: { value: 'abcd' } }, /2 bytes where sha1 gives 20/],
      [{ algorithm: 'sha256', hash: { value: 'zz'.repeat(32) } }, /not hex/],
      [{ algorithm: 'md4', hash: { value: '00'.repeat(16) } }, /md4 is not available/],
      [{ algorithm: 'hmac', hash: { value: '00'.repeat(20), digest: 'sha1' } }, /needs hash.key/],
      [{ algorithm: 'bcrypt', hash: { value: b }, salt: { value: 'x', position: 'prefix' } }, /leave out salt/],
      [{ algorithm: 'ldap', hash: { value: '{CRYPT}abc' } }, /ldap hash must be one of/],
      [{ algorithm: 'md5', hash: { value: '00'.repeat(16) }, salt: { value: 'y' } }, /salt.position/],
      [{ algorithm: 'scrypt', hash: { value: '00'.repeat(32) }, salt: { value: 'y' }, cost: 1000 }, /power of 2/],
      [{ algorithm: 'scrypt', hash: { value: '00'.repeat(32) }, salt: { value: 'y' }, cost: 2 ** 20, blockSize: 8 }, /MiB/],
      [{ algorithm: 'scrypt', hash: { value: '00'.repeat(32) } }, /needs its salt/],
      [{ algorithm: 'sha1', hash: { value: '00'.repeat(20) }, cost: 2 }, /scrypt only/],
    ];
    for (const [input, reason] of cases) {
      const refused = refusal({ custom_password_hash: custom(input) });
      expect(refused.code).toBe('user.invalid');
      expect(refused.field).toBe('custom_password_hash');
      expect(refused.message).toMatch(reason);
      expect(refused.message).not.toContain(b.slice(7));
    }
  });

  it('refuses in the schema an unknown algorithm and unknown properties', () => {
    expect(customPasswordHashSchema.safeParse({ algorithm: 'scrypt3', hash: { value: 'x' } }).success).toBe(false);
    expect(customPasswordHashSchema.safeParse({ algorithm: 'md5', hash: { value: 'x', encodng: 'hex' } }).success).toBe(false);
  });
});
