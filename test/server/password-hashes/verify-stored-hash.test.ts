/**
 * verifyPassword against every form an import keeps, with hashes made here by the real
 * libraries (@node-rs/bcrypt, @node-rs/argon2, node:crypto) and passed through storedPasswordHash
 * as an import would; and needsRehash, which tells the login to replace all but today's argon2id.
 */
import { createHash, createHmac, pbkdf2Sync, scryptSync } from 'node:crypto';
import { hashSync as argon2Hash } from '@node-rs/argon2';
import { hashSync as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { customPasswordHashSchema, storedPasswordHash } from '../../../server/password-hashes/imported-hashes.js';
import { hashPassword, needsRehash, verifyPassword } from '../../../server/passwords.js';

const PASSWORD = 'Grüße, correct horse';
const WRONG = 'Grüsse, correct horse';

const phcB64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function imported(custom: unknown): string {
  const stored = storedPasswordHash({ custom_password_hash: customPasswordHashSchema.parse(custom) });
  if (!stored) throw new Error('nothing stored');
  return stored;
}

async function expectOnlyThePassword(stored: string) {
  expect(await verifyPassword(stored, PASSWORD)).toBe(true);
  expect(await verifyPassword(stored, WRONG)).toBe(false);
  expect(await verifyPassword(stored, '')).toBe(false);
}

const salted = (algorithm: string, salt: Buffer, position: 'prefix' | 'suffix', password = Buffer.from(PASSWORD)) =>
  createHash(algorithm)
    .update(position === 'prefix' ? Buffer.concat([salt, password]) : Buffer.concat([password, salt]))
    .digest();

describe('verifyPassword on imported hashes', () => {
  it('checks bcrypt $2a$, $2b$ and $2y$ hashes, from password_hash and custom_password_hash', async () => {
    const b = bcryptHash(PASSWORD, 5);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const value = b.replace(/^\$2b\$/, prefix);
      await expectOnlyThePassword(storedPasswordHash({ password_hash: value }) ?? '');
      await expectOnlyThePassword(imported({ algorithm: 'bcrypt', hash: { value } }));
    }
  });

  it('checks argon2i, argon2d and argon2id PHC strings', async () => {
    for (const algorithm of [0, 1, 2] as const) {
      await expectOnlyThePassword(
        imported({ algorithm: 'argon2', hash: { value: argon2Hash(PASSWORD, { algorithm, memoryCost: 8192, timeCost: 3 }) } }),
      );
    }
  });

  it('checks pbkdf2 PHC strings with sha1, sha256 and sha512', async () => {
    const salt = Buffer.from('a8f5f167f44f4964e6c998dee827110c', 'hex');
    for (const [digest, length] of [
      ['sha1', 20],
      ['sha256', 32],
      ['sha512', 64],
    ] as const) {
      const value = `$pbkdf2-${digest}$i=2000,l=${length}$${phcB64(salt)}$${phcB64(pbkdf2Sync(PASSWORD, salt, 2000, length, digest))}`;
      await expectOnlyThePassword(imported({ algorithm: 'pbkdf2', hash: { value } }));
    }
  });

  it('checks scrypt hashes with their cost, block size, parallelization and key length', async () => {
    const salt = Buffer.from('scrypt-salt');
    const defaults = scryptSync(PASSWORD, salt, 32, { N: 16_384, r: 8, p: 1 });
    await expectOnlyThePassword(
      imported({ algorithm: 'scrypt', hash: { value: defaults.toString('hex') }, salt: { value: 'scrypt-salt' } }),
    );
    const tuned = scryptSync(PASSWORD, salt, 64, { N: 4096, r: 4, p: 2 });
    await expectOnlyThePassword(
      imported({
        algorithm: 'scrypt',
        hash: { value: tuned.toString('base64'), encoding: 'base64' },
        salt: { value: salt.toString('hex'), encoding: 'hex' },
        keylen: 64,
        cost: 4096,
        blockSize: 4,
        parallelization: 2,
      }),
    );
  });

  it('checks salted digests with the salt before or after the password, in hex, base64 and utf8', async () => {
    const salt = Buffer.from('s4lt-ÿ');
    for (const algorithm of ['md5', 'sha1', 'sha256', 'sha512'] as const) {
      for (const position of ['prefix', 'suffix'] as const) {
        const digest = salted(algorithm, salt, position);
        await expectOnlyThePassword(
          imported({ algorithm, hash: { value: digest.toString('hex') }, salt: { value: salt.toString('utf8'), position } }),
        );
        await expectOnlyThePassword(
          imported({
            algorithm,
            hash: { value: digest.toString('base64'), encoding: 'base64' },
            salt: { value: salt.toString('hex'), encoding: 'hex', position },
          }),
        );
        await expectOnlyThePassword(
          imported({
            algorithm,
            hash: { value: digest.toString('hex').toUpperCase(), encoding: 'hex' },
            salt: { value: salt.toString('base64url'), encoding: 'base64', position },
          }),
        );
      }
    }
  });

  it('checks an unsalted digest, and one of a password encoded as utf16le', async () => {
    await expectOnlyThePassword(imported({ algorithm: 'sha1', hash: { value: createHash('sha1').update(PASSWORD).digest('hex') } }));
    const utf16 = salted('sha256', Buffer.from('NaCl'), 'suffix', Buffer.from(PASSWORD, 'utf16le'));
    await expectOnlyThePassword(
      imported({
        algorithm: 'sha256',
        hash: { value: utf16.toString('hex') },
        salt: { value: 'NaCl', position: 'suffix' },
        password: { encoding: 'utf16le' },
      }),
    );
  });

  it('checks an HMAC with its key and salt', async () => {
    const key = Buffer.from('0f1e2d3c4b5a', 'hex');
    const mac = createHmac('sha256', key).update(`pepper${PASSWORD}`).digest('hex');
    await expectOnlyThePassword(
      imported({
        algorithm: 'hmac',
        hash: { value: mac, digest: 'sha256', key: { value: key.toString('hex'), encoding: 'hex' } },
        salt: { value: 'pepper', position: 'prefix' },
      }),
    );
  });

  it('checks RFC 2307 {SSHA} and {SHA} hashes', async () => {
    const salt = Buffer.from([9, 8, 7, 6, 5, 4, 3, 2]);
    const ssha = Buffer.concat([salted('sha1', salt, 'suffix'), salt]).toString('base64');
    await expectOnlyThePassword(imported({ algorithm: 'ldap', hash: { value: `{SSHA}${ssha}` } }));
    await expectOnlyThePassword(
      imported({ algorithm: 'ldap', hash: { value: `{SHA}${createHash('sha1').update(PASSWORD).digest('base64')}` } }),
    );
  });

  it('refuses every password against a hash of no known form, or a damaged one', async () => {
    for (const stored of ['', 'plain text', '$1$abc$def', '$tessera-sha256$pos=prefix,enc=utf8$$AAAA', '$pbkdf2-sha256$i=10$c2FsdA$']) {
      expect(await verifyPassword(stored, PASSWORD)).toBe(false);
    }
  });
});

describe('needsRehash', () => {
  it('keeps a hash Tessera made today and replaces any other', async () => {
    expect(needsRehash(await hashPassword(PASSWORD))).toBe(false);
    expect(needsRehash(argon2Hash(PASSWORD, { algorithm: 2, memoryCost: 8192, timeCost: 2, parallelism: 1 }))).toBe(true);
    expect(needsRehash(argon2Hash(PASSWORD, { algorithm: 1, memoryCost: 19_456, timeCost: 2, parallelism: 1 }))).toBe(true);
    expect(needsRehash(argon2Hash(PASSWORD, { algorithm: 2, version: 0, memoryCost: 19_456, timeCost: 2, parallelism: 1 }))).toBe(true);
    expect(needsRehash(argon2Hash(PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 16 }))).toBe(true);
    expect(needsRehash(bcryptHash(PASSWORD, 4))).toBe(true);
    expect(needsRehash(imported({ algorithm: 'sha1', hash: { value: createHash('sha1').update(PASSWORD).digest('hex') } }))).toBe(true);
  });
});
