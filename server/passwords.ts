/**
 * argon2id password hashing. @node-rs/argon2 hashes on libuv's thread pool, so a login never
 * blocks the event loop.
 */
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
// Algorithm.Argon2id is an ambient const enum, which verbatimModuleSyntax cannot import; its value is 2.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends a verification's time when there is no user, so timing does not reveal which half was wrong. */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('tessera-timing-equalizer');
  await verifyPassword(await dummyHash, password);
  return false;
}
