/**
 * Password hashes brought from Auth0's bulk user import: the `custom_password_hash` object and
 * the plain bcrypt `password_hash`, turned into the one string `identities.password_hash` keeps
 * (the forms are in `stored-hashes.ts`). Nothing is re-hashed here: the user's first login does
 * that (server/passwords.ts `needsRehash`), so an import costs no hashing time.
 * An import Tessera could not check at login is refused now, with what is wrong, rather than
 * leaving a user who can never sign in.
 */
import { z } from 'zod';
import { DomainError } from '../errors.js';
import {
  checkCost,
  checkSaltedDigest,
  checkScrypt,
  DIGEST_LENGTHS,
  type DigestName,
  decodeB64,
  formatSaltedDigest,
  formatScrypt,
  isDigest,
  PASSWORD_ENCODINGS,
  type PasswordEncoding,
  readStoredHash,
  readStringHash,
  type SaltedDigest,
  UnusableHash,
} from './stored-hashes.js';

const byteEncoding = z.enum(['base64', 'hex', 'utf8']);

/** Auth0's bulk-import `custom_password_hash` object. */
export const customPasswordHashSchema = z.strictObject({
  algorithm: z.enum(['argon2', 'bcrypt', 'hmac', 'ldap', 'md4', 'md5', 'sha1', 'sha256', 'sha512', 'pbkdf2', 'scrypt']),
  hash: z.strictObject({
    value: z.string().min(1).max(4096),
    /** How hash.value is written; hex (either case) unless said, utf8 for the string forms (bcrypt, argon2, pbkdf2, ldap). */
    encoding: byteEncoding.optional(),
    /** The HMAC's digest. */
    digest: z.enum(['md4', 'md5', 'ripemd160', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'whirlpool']).optional(),
    /** The HMAC's key; utf8 unless said. */
    key: z.strictObject({ value: z.string().min(1).max(1024), encoding: byteEncoding.optional() }).optional(),
  }),
  /** The salt a digest or HMAC was computed with, before or after the password (`position`), or scrypt's; utf8 unless said. */
  salt: z
    .strictObject({ value: z.string().max(2048), encoding: byteEncoding.optional(), position: z.enum(['prefix', 'suffix']).optional() })
    .optional(),
  /** How the password was encoded before it was hashed; utf8 unless said. */
  password: z.strictObject({ encoding: z.enum(PASSWORD_ENCODINGS).optional() }).optional(),
  /** The derived key's length in bytes (pbkdf2, scrypt); the hash's own length when absent. */
  keylen: z.number().int().positive().optional(),
  /** scrypt's N, r and p: 16384, 8 and 1 unless said. */
  cost: z.number().int().positive().optional(),
  blockSize: z.number().int().positive().optional(),
  parallelization: z.number().int().positive().optional(),
});

export type CustomPasswordHash = z.infer<typeof customPasswordHashSchema>;

export interface ImportedPassword {
  password_hash?: string | undefined;
  custom_password_hash?: CustomPasswordHash | undefined;
}

const HEX_SHAPE = /^(?:[0-9a-fA-F]{2})*$/;

function decodeBytes(value: string, encoding: 'base64' | 'hex' | 'utf8', what: string): Buffer {
  if (encoding === 'utf8') return Buffer.from(value, 'utf8');
  const bytes = encoding === 'hex' ? (HEX_SHAPE.test(value) ? Buffer.from(value, 'hex') : undefined) : decodeB64(value);
  if (!bytes) throw new UnusableHash(`${what} is not ${encoding}`);
  return bytes;
}

/** RFC 2307 schemes (OpenLDAP's `{SSHA}` and kin): the digest, then the salt, in base64. */
const LDAP_SCHEMES: Record<string, { digest: DigestName; salted: boolean }> = {
  MD5: { digest: 'md5', salted: false },
  SMD5: { digest: 'md5', salted: true },
  SHA: { digest: 'sha1', salted: false },
  SSHA: { digest: 'sha1', salted: true },
  SHA256: { digest: 'sha256', salted: false },
  SSHA256: { digest: 'sha256', salted: true },
  SHA384: { digest: 'sha384', salted: false },
  SSHA384: { digest: 'sha384', salted: true },
  SHA512: { digest: 'sha512', salted: false },
  SSHA512: { digest: 'sha512', salted: true },
};

function fromLdap(value: string, passwordEncoding: PasswordEncoding): SaltedDigest {
  const [, name = '', encoded = ''] = /^\{([A-Za-z0-9]+)\}(.*)$/.exec(value) ?? [];
  const scheme = LDAP_SCHEMES[name.toUpperCase()];
  if (!scheme) throw new UnusableHash(`an ldap hash must be one of {${Object.keys(LDAP_SCHEMES).join('}, {')}}`);
  const bytes = decodeBytes(encoded, 'base64', 'the ldap hash');
  const length = DIGEST_LENGTHS[scheme.digest];
  if (scheme.salted ? bytes.length <= length : bytes.length !== length) throw new UnusableHash(`the {${name}} hash has the wrong length`);
  return checkSaltedDigest({
    kind: 'salted-digest',
    digest: scheme.digest,
    key: undefined,
    position: 'suffix',
    passwordEncoding,
    salt: bytes.subarray(length),
    hash: bytes.subarray(0, length),
  });
}

/** bcrypt, argon2 and pbkdf2 strings are kept as they are; an LDAP hash becomes our salted digest. */
function fromStringForm(
  custom: CustomPasswordHash & { algorithm: 'bcrypt' | 'argon2' | 'pbkdf2' | 'ldap' },
  passwordEncoding: PasswordEncoding,
) {
  const { algorithm, hash, salt, keylen } = custom;
  if (hash.encoding !== undefined && hash.encoding !== 'utf8') {
    throw new UnusableHash(`a ${algorithm} hash.value is a string: its encoding can only be utf8`);
  }
  if (salt !== undefined) throw new UnusableHash(`the salt is part of the ${algorithm} hash.value: leave out salt`);
  if (algorithm === 'ldap') return formatSaltedDigest(fromLdap(hash.value, passwordEncoding));
  if (passwordEncoding !== 'utf8') throw new UnusableHash(`a ${algorithm} hash is checked against the password in utf8 only`);
  const stored = readStringHash[algorithm](hash.value);
  if (stored.kind === 'pbkdf2' && keylen !== undefined && keylen !== stored.hash.length) {
    throw new UnusableHash('keylen differs from the length of the pbkdf2 hash');
  }
  return hash.value;
}

function fromScrypt({ hash, salt, keylen, cost, blockSize, parallelization }: CustomPasswordHash, passwordEncoding: PasswordEncoding) {
  if (!salt) throw new UnusableHash('an scrypt hash needs its salt');
  const form = checkScrypt({
    kind: 'scrypt',
    cost: cost ?? 16_384,
    blockSize: blockSize ?? 8,
    parallelization: parallelization ?? 1,
    passwordEncoding,
    salt: decodeBytes(salt.value, salt.encoding ?? 'utf8', 'salt.value'),
    hash: decodeBytes(hash.value, hash.encoding ?? 'hex', 'hash.value'),
  });
  if (keylen !== undefined && keylen !== form.hash.length) throw new UnusableHash('keylen differs from the length of the scrypt hash');
  return formatScrypt(form);
}

/** md5, sha1, sha256, sha512 of the salted password, or its HMAC. */
function fromDigest({ algorithm, hash, salt }: CustomPasswordHash, passwordEncoding: PasswordEncoding) {
  if (salt?.value && !salt.position) throw new UnusableHash('salt.position (prefix or suffix) says where the salt was put');
  const digest = algorithm === 'hmac' ? hash.digest : algorithm;
  if (digest === undefined) throw new UnusableHash('an hmac needs hash.digest');
  if (algorithm === 'hmac' && hash.key === undefined) throw new UnusableHash('an hmac needs hash.key');
  if (!isDigest(digest)) {
    throw new UnusableHash(
      `${digest} is not available (OpenSSL 3 dropped it): re-export these users with another hash or have them reset their password`,
    );
  }
  const form = checkSaltedDigest({
    kind: 'salted-digest',
    digest,
    key: hash.key ? decodeBytes(hash.key.value, hash.key.encoding ?? 'utf8', 'hash.key.value') : undefined,
    position: salt?.position ?? 'prefix',
    passwordEncoding,
    salt: salt ? decodeBytes(salt.value, salt.encoding ?? 'utf8', 'salt.value') : Buffer.alloc(0),
    hash: decodeBytes(hash.value, hash.encoding ?? 'hex', 'hash.value'),
  });
  return formatSaltedDigest(form);
}

function fromCustom(custom: CustomPasswordHash): string {
  const { algorithm } = custom;
  const passwordEncoding = custom.password?.encoding ?? 'utf8';
  if (custom.keylen !== undefined && algorithm !== 'pbkdf2' && algorithm !== 'scrypt') {
    throw new UnusableHash('keylen applies to pbkdf2 and scrypt only');
  }
  if (algorithm !== 'scrypt' && (custom.cost ?? custom.blockSize ?? custom.parallelization) !== undefined) {
    throw new UnusableHash('cost, blockSize and parallelization apply to scrypt only');
  }
  if (algorithm !== 'hmac' && (custom.hash.digest !== undefined || custom.hash.key !== undefined)) {
    throw new UnusableHash('hash.digest and hash.key apply to hmac only');
  }
  switch (algorithm) {
    case 'bcrypt':
    case 'argon2':
    case 'pbkdf2':
    case 'ldap':
      return fromStringForm({ ...custom, algorithm }, passwordEncoding);
    case 'scrypt':
      return fromScrypt(custom, passwordEncoding);
    default:
      return fromDigest(custom, passwordEncoding);
  }
}

/**
 * The string to keep in `identities.password_hash` for an imported user, or undefined when the
 * import carries no password. Throws DomainError('user.invalid') for a hash no login could check.
 */
export function storedPasswordHash({ password_hash: plain, custom_password_hash: custom }: ImportedPassword): string | undefined {
  if (plain !== undefined && custom !== undefined) {
    throw new DomainError('user.invalid', 'give either password_hash or custom_password_hash, not both', 'custom_password_hash');
  }
  try {
    if (plain !== undefined) {
      checkCost(readStringHash.bcrypt(plain));
      return plain;
    }
  } catch (error) {
    if (!(error instanceof UnusableHash)) throw error;
    throw new DomainError(
      'user.invalid',
      `password_hash takes a bcrypt hash: ${error.message}; give other algorithms in custom_password_hash`,
      'password_hash',
    );
  }
  if (custom === undefined) return undefined;
  try {
    const stored = fromCustom(custom);
    // What is kept must be what the login reads: a form this module writes that the reader refused would lock the user out.
    checkCost(readStoredHash(stored));
    return stored;
  } catch (error) {
    if (!(error instanceof UnusableHash)) throw error;
    throw new DomainError('user.invalid', `custom_password_hash (${custom.algorithm}): ${error.message}`, 'custom_password_hash');
  }
}
