/**
 * The forms a password hash takes in `identities.password_hash`, and reading one back. Every
 * form names its algorithm in the string, so the login knows how to check a password from the
 * hash alone: our argon2id, an imported argon2 (i, d, id) or bcrypt string and a PHC pbkdf2
 * string are kept as they came; an imported salted digest, HMAC or scrypt hash is written in a
 * PHC-like form of ours (`formatSaltedDigest`, `formatScrypt`). Reading refuses unknown forms; an import is also refused
 * when its costs are so high that one login would hold a core for seconds (`checkCost`).
 * @see https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md
 */
import { parseOptions } from '@node-rs/argon2';

/** Digests node:crypto computes that an imported hash may use (OpenSSL 3 has no md4 nor whirlpool). */
export const DIGEST_LENGTHS = { md5: 16, ripemd160: 20, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 } as const;
export type DigestName = keyof typeof DIGEST_LENGTHS;

/** How the password's characters became the bytes that were hashed (Auth0's `password.encoding`). */
export const PASSWORD_ENCODINGS = ['ascii', 'utf8', 'utf16le', 'ucs2', 'latin1', 'binary'] as const;
export type PasswordEncoding = (typeof PASSWORD_ENCODINGS)[number];

/** The most an imported hash may cost per login; beyond, one login is a denial of service. */
export const COST_BOUNDS = {
  bcryptCost: 16,
  argon2MemoryKiB: 262_144,
  argon2TimeCost: 32,
  argon2Parallelism: 16,
  pbkdf2Iterations: 5_000_000,
  pbkdf2KeyBytes: 256,
  scryptMemoryBytes: 268_435_456,
  scryptParallelization: 16,
  saltBytes: 1024,
} as const;

export type StoredHash =
  | { kind: 'argon2'; value: string; memoryKiB: number; timeCost: number; parallelism: number }
  | { kind: 'bcrypt'; value: string; cost: number }
  | { kind: 'pbkdf2'; digest: DigestName; iterations: number; salt: Buffer; hash: Buffer }
  | {
      kind: 'salted-digest';
      digest: DigestName;
      /** Present for an HMAC: the hash is HMAC(key, salted password) rather than a plain digest of it. */
      key: Buffer | undefined;
      position: 'prefix' | 'suffix';
      passwordEncoding: PasswordEncoding;
      salt: Buffer;
      hash: Buffer;
    }
  | {
      kind: 'scrypt';
      /** N, r and p of RFC 7914. */
      cost: number;
      blockSize: number;
      parallelization: number;
      passwordEncoding: PasswordEncoding;
      salt: Buffer;
      hash: Buffer;
    };

export type SaltedDigest = Extract<StoredHash, { kind: 'salted-digest' }>;
export type Scrypt = Extract<StoredHash, { kind: 'scrypt' }>;

/** A stored or imported hash no login could check; the message names what is wrong, never the hash. */
export class UnusableHash extends Error {
  override name = 'UnusableHash';
}

const BCRYPT_SHAPE = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2_SHAPE = /^\$argon2(?:id|i|d)\$/;
const B64_SHAPE = /^[A-Za-z0-9+/_-]*={0,2}$/;

export const isDigest = (name: string): name is DigestName => Object.hasOwn(DIGEST_LENGTHS, name);
const isPasswordEncoding = (name: string): name is PasswordEncoding => (PASSWORD_ENCODINGS as readonly string[]).includes(name);

/** Base64 as PHC writes it (no padding), also accepting padding and the URL-safe alphabet; undefined if not base64. */
export function decodeB64(text: string): Buffer | undefined {
  if (!B64_SHAPE.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

const encodeB64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** `a=1,b=2` into a map; a repeated or malformed parameter makes the whole string unusable. */
function phcParameters(segment: string, what: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const pair of segment.split(',')) {
    const match = /^([a-z0-9-]+)=([A-Za-z0-9/+.=_-]*)$/.exec(pair);
    if (!match?.[1] || match[2] === undefined || parameters.has(match[1])) throw new UnusableHash(`${what} has malformed parameters`);
    parameters.set(match[1], match[2]);
  }
  return parameters;
}

function positiveInteger(text: string | undefined, what: string): number {
  if (text === undefined || !/^[1-9]\d{0,9}$/.test(text)) throw new UnusableHash(`${what} must be a positive integer`);
  return Number(text);
}

function readBcrypt(value: string): StoredHash {
  const cost = Number(BCRYPT_SHAPE.exec(value)?.[1]);
  if (!cost) throw new UnusableHash('a bcrypt hash looks like $2b$10$ followed by 53 characters of bcrypt base64');
  if (cost < 4 || cost > 31) throw new UnusableHash('bcrypt cost must be between 4 and 31');
  return { kind: 'bcrypt', value, cost };
}

function readArgon2(value: string): StoredHash {
  let options: ReturnType<typeof parseOptions>;
  try {
    if (!ARGON2_SHAPE.test(value)) throw new UnusableHash('not argon2');
    options = parseOptions(value);
  } catch {
    throw new UnusableHash('an argon2 hash must be a PHC string such as $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>');
  }
  return { kind: 'argon2', value, memoryKiB: options.memoryCost, timeCost: options.timeCost, parallelism: options.parallelism };
}

function b64Field(text: string | undefined, what: string): Buffer {
  const bytes = text === undefined ? undefined : decodeB64(text);
  if (!bytes) throw new UnusableHash(`${what} is not base64`);
  return bytes;
}

/** `$pbkdf2-<digest>$i=<iterations>[,l=<key length>]$<salt>$<hash>`, as Auth0 takes it. */
function readPbkdf2(value: string): StoredHash {
  const [empty, id, parameters, salt, hash, ...rest] = value.split('$');
  const digest = id?.slice('pbkdf2-'.length) ?? '';
  if (empty !== '' || parameters === undefined || rest.length > 0 || !isDigest(digest)) {
    throw new UnusableHash(
      `a pbkdf2 hash must be a PHC string $pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<hash> with a digest among ${Object.keys(DIGEST_LENGTHS).join(', ')}`,
    );
  }
  const named = phcParameters(parameters, 'the pbkdf2 hash');
  const iterations = positiveInteger(named.get('i'), 'pbkdf2 i (iterations)');
  const saltBytes = b64Field(salt, 'the pbkdf2 salt');
  const hashBytes = b64Field(hash, 'the pbkdf2 hash');
  if (hashBytes.length === 0) throw new UnusableHash('the pbkdf2 hash is empty');
  if (named.has('l') && positiveInteger(named.get('l'), 'pbkdf2 l (key length)') !== hashBytes.length) {
    throw new UnusableHash('pbkdf2 l (key length) differs from the length of the hash');
  }
  if ([...named.keys()].some((name) => name !== 'i' && name !== 'l'))
    throw new UnusableHash('a pbkdf2 hash takes only the parameters i and l');
  return { kind: 'pbkdf2', digest, iterations, salt: saltBytes, hash: hashBytes };
}

/**
 * Our PHC-like form of a salted digest or HMAC:
 * `$tessera-<digest>$pos=<prefix|suffix>,enc=<password encoding>$<salt>$<hash>` and
 * `$tessera-hmac-<digest>$pos=…,enc=…,key=<key>$<salt>$<hash>`, salt, key and hash in base64
 * without padding; the salt may be empty.
 */
export function formatSaltedDigest(form: SaltedDigest): string {
  const id = form.key ? `tessera-hmac-${form.digest}` : `tessera-${form.digest}`;
  const key = form.key ? `,key=${encodeB64(form.key)}` : '';
  return `$${id}$pos=${form.position},enc=${form.passwordEncoding}${key}$${encodeB64(form.salt)}$${encodeB64(form.hash)}`;
}

/** Checks a salted digest's parts as `formatSaltedDigest` would write them. */
export function checkSaltedDigest(form: SaltedDigest): SaltedDigest {
  if (form.hash.length !== DIGEST_LENGTHS[form.digest]) {
    throw new UnusableHash(`the hash has ${form.hash.length} bytes where ${form.digest} gives ${DIGEST_LENGTHS[form.digest]}`);
  }
  if (form.key?.length === 0) throw new UnusableHash('an HMAC key may not be empty');
  return form;
}

function readSaltedDigest(value: string): StoredHash {
  const [, id = '', parameters = '', salt, hash, ...rest] = value.split('$');
  const hmac = id.startsWith('tessera-hmac-');
  const digest = id.slice(hmac ? 'tessera-hmac-'.length : 'tessera-'.length);
  const named = phcParameters(parameters, 'the salted digest');
  const position = named.get('pos');
  const passwordEncoding = named.get('enc') ?? '';
  const key = named.get('key');
  if (rest.length > 0 || !isDigest(digest) || (position !== 'prefix' && position !== 'suffix') || !isPasswordEncoding(passwordEncoding)) {
    throw new UnusableHash('the salted digest is malformed');
  }
  if (named.size !== (hmac ? 3 : 2) || hmac !== (key !== undefined)) throw new UnusableHash('the salted digest has unknown parameters');
  return checkSaltedDigest({
    kind: 'salted-digest',
    digest,
    key: key === undefined ? undefined : b64Field(key, 'the HMAC key'),
    position,
    passwordEncoding,
    salt: b64Field(salt, 'the salt'),
    hash: b64Field(hash, 'the hash'),
  });
}

/** Reads a hash its importer says is of one algorithm, for a message about that algorithm when it is not. */
export const readStringHash = { bcrypt: readBcrypt, argon2: readArgon2, pbkdf2: readPbkdf2 } as const;

/** Our form of an scrypt hash: `$tessera-scrypt$n=<N>,r=<r>,p=<p>,enc=<password encoding>$<salt>$<hash>`. */
export function formatScrypt(form: Scrypt): string {
  const parameters = `n=${form.cost},r=${form.blockSize},p=${form.parallelization},enc=${form.passwordEncoding}`;
  return `$tessera-scrypt$${parameters}$${encodeB64(form.salt)}$${encodeB64(form.hash)}`;
}

/** Checks an scrypt hash's parts as `formatScrypt` would write them. */
export function checkScrypt(form: Scrypt): Scrypt {
  if (form.cost < 2 || !Number.isInteger(Math.log2(form.cost))) throw new UnusableHash('scrypt cost (N) must be a power of 2');
  if (form.hash.length === 0) throw new UnusableHash('the scrypt hash is empty');
  return form;
}

function readScrypt(value: string): StoredHash {
  const [, , parameters = '', salt, hash, ...rest] = value.split('$');
  const named = phcParameters(parameters, 'the scrypt hash');
  const passwordEncoding = named.get('enc') ?? '';
  if (rest.length > 0 || named.size !== 4 || !isPasswordEncoding(passwordEncoding)) throw new UnusableHash('the scrypt hash is malformed');
  return checkScrypt({
    kind: 'scrypt',
    cost: positiveInteger(named.get('n'), 'scrypt n (cost)'),
    blockSize: positiveInteger(named.get('r'), 'scrypt r (block size)'),
    parallelization: positiveInteger(named.get('p'), 'scrypt p (parallelization)'),
    passwordEncoding,
    salt: b64Field(salt, 'the scrypt salt'),
    hash: b64Field(hash, 'the scrypt hash'),
  });
}

/**
 * Refuses an imported hash whose check would cost one login more than COST_BOUNDS. Only imports
 * are bounded: a hash Tessera made itself costs what its configuration chose.
 */
export function checkCost(form: StoredHash): void {
  if (form.kind === 'bcrypt' && form.cost > COST_BOUNDS.bcryptCost) {
    throw new UnusableHash(`bcrypt cost may be at most ${COST_BOUNDS.bcryptCost}`);
  }
  if (
    form.kind === 'argon2' &&
    (form.memoryKiB > COST_BOUNDS.argon2MemoryKiB ||
      form.timeCost > COST_BOUNDS.argon2TimeCost ||
      form.parallelism > COST_BOUNDS.argon2Parallelism)
  ) {
    throw new UnusableHash(
      `argon2 costs may be at most m=${COST_BOUNDS.argon2MemoryKiB}, t=${COST_BOUNDS.argon2TimeCost}, p=${COST_BOUNDS.argon2Parallelism}`,
    );
  }
  if (form.kind === 'pbkdf2' && (form.iterations > COST_BOUNDS.pbkdf2Iterations || form.hash.length > COST_BOUNDS.pbkdf2KeyBytes)) {
    throw new UnusableHash(
      `pbkdf2 may take at most ${COST_BOUNDS.pbkdf2Iterations} iterations and ${COST_BOUNDS.pbkdf2KeyBytes} bytes of hash`,
    );
  }
  if (
    form.kind === 'scrypt' &&
    (128 * form.cost * form.blockSize > COST_BOUNDS.scryptMemoryBytes ||
      form.parallelization > COST_BOUNDS.scryptParallelization ||
      form.hash.length > COST_BOUNDS.pbkdf2KeyBytes)
  ) {
    throw new UnusableHash(
      `scrypt may take at most ${COST_BOUNDS.scryptMemoryBytes / 1_048_576} MiB (128·N·r), p=${COST_BOUNDS.scryptParallelization} and ${COST_BOUNDS.pbkdf2KeyBytes} bytes of hash`,
    );
  }
  if ((form.kind === 'salted-digest' || form.kind === 'scrypt') && form.salt.length > COST_BOUNDS.saltBytes) {
    throw new UnusableHash(`a salt has at most ${COST_BOUNDS.saltBytes} bytes`);
  }
}

/** What a stored hash is and how to check a password against it; throws UnusableHash for anything else. */
export function readStoredHash(value: string): StoredHash {
  if (value.startsWith('$2')) return readBcrypt(value);
  if (ARGON2_SHAPE.test(value)) return readArgon2(value);
  if (value.startsWith('$pbkdf2-')) return readPbkdf2(value);
  if (value.startsWith('$tessera-scrypt$')) return readScrypt(value);
  if (value.startsWith('$tessera-')) return readSaltedDigest(value);
  throw new UnusableHash('the hash is in no form Tessera knows');
}
