/**
 * Checks a password against a stored hash of any form `stored-hashes.ts` reads, with the
 * library made for each: @node-rs/argon2 and @node-rs/bcrypt on libuv's thread pool, node:crypto
 * for pbkdf2 and scrypt (thread pool too), salted digests and HMACs, compared in constant time. The caller
 * (server/passwords.ts) runs this inside the hashing gate.
 */
import { createHash, createHmac, pbkdf2, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { readStoredHash, type SaltedDigest, type StoredHash, UnusableHash } from './stored-hashes.js';

const derive = promisify(pbkdf2);
const deriveScrypt = promisify<string | Buffer, Buffer, number, ScryptOptions, Buffer>(scrypt);

function saltedDigest(form: SaltedDigest, password: string): Buffer {
  const bytes = Buffer.from(password, form.passwordEncoding);
  const salted = form.position === 'prefix' ? Buffer.concat([form.salt, bytes]) : Buffer.concat([bytes, form.salt]);
  return (form.key ? createHmac(form.digest, form.key) : createHash(form.digest)).update(salted).digest();
}

async function matches(form: StoredHash, password: string): Promise<boolean> {
  switch (form.kind) {
    case 'argon2':
      return argon2Verify(form.value, password);
    case 'bcrypt':
      return bcryptVerify(password, form.value);
    case 'pbkdf2':
      return timingSafeEqual(await derive(password, form.salt, form.iterations, form.hash.length, form.digest), form.hash);
    case 'scrypt': {
      const options = { N: form.cost, r: form.blockSize, p: form.parallelization, maxmem: 256 * form.cost * form.blockSize };
      return timingSafeEqual(
        await deriveScrypt(Buffer.from(password, form.passwordEncoding), form.salt, form.hash.length, options),
        form.hash,
      );
    }
    case 'salted-digest':
      return timingSafeEqual(saltedDigest(form, password), form.hash);
  }
}

/** True when `password` is the one `stored` was made from; false for a wrong password and for a hash of no known form. */
export async function verifyStoredHash(stored: string, password: string): Promise<boolean> {
  let form: StoredHash;
  try {
    form = readStoredHash(stored);
  } catch (error) {
    if (error instanceof UnusableHash) return false;
    throw error;
  }
  try {
    return await matches(form, password);
  } catch {
    return false;
  }
}
