/**
 * Signs and checks the cookies of Tessera and of the oidc-provider mounted in it (Koa's
 * `app.keys`), in keygrip's format: HMAC-SHA1 of `name=value` under the key, base64url. Cookies
 * signed before, by keygrip, still verify, and an older key is still accepted (the cookies
 * library then signs the cookie again with the first).
 *
 * keygrip compares signatures with tsscmp, which runs two more HMACs under a fresh random
 * Buffer key for each check. On Node 24 an HMAC under a Buffer key costs five times one under
 * a KeyObject, so a check cost about 54 µs against about 4 µs here, and a password login
 * reads and writes a dozen signed cookies: 9 % of the server's main-thread time per login
 * (docs/benchmarks.md). The keys become KeyObjects once, and the comparison is
 * crypto.timingSafeEqual.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** What the cookies library asks of `keys` (keygrip's interface). */
export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  index(data: string, digest: string): number;
}

const sign = (data: string, key: KeyObject) => createHmac('sha1', key).update(data).digest('base64url');

/** `keys[0]` signs; every key verifies, the first match's position being what index returns. */
export function createCookieSigner(keys: readonly string[]): CookieSigner {
  if (keys.length === 0) throw new Error('cookie signing needs at least one key');
  const keyObjects = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')));
  const first = keyObjects[0] as KeyObject;
  const index = (data: string, digest: string) => {
    const presented = Buffer.from(String(digest));
    return keyObjects.findIndex((key) => {
      const expected = Buffer.from(sign(String(data), key));
      // The length of a signature is public (it is fixed by the algorithm); only its bytes must not leak.
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
  };
  return {
    sign: (data) => sign(String(data), first),
    index,
    verify: (data, digest) => index(data, digest) > -1,
  };
}
