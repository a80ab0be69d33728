/**
 * argon2id password hashing, and checking a password against any stored hash (ours, or one
 * imported from Auth0: server/password-hashes/). @node-rs/argon2 hashes on libuv's thread pool, so a login never
 * blocks the event loop; a gate bounds how many hashes run at once (each costs a core and
 * 19 MiB) and how many wait, so a flood of logins cannot take every core or every thread.
 * The gate is per process, as the cores and the thread pool are.
 */

import { availableParallelism } from 'node:os';
import { hash, parseOptions } from '@node-rs/argon2';
import { RetryLater } from './abuse/retry-later.js';
import { createWorkGate, GateFullError, type WorkGate } from './abuse/work-gate.js';
import { verifyStoredHash } from './password-hashes/verify-stored-hash.js';

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
// Algorithm.Argon2id is an ambient const enum, which verbatimModuleSyntax cannot import; its value is 2.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const DEFAULT_QUEUE = 256;
const BUSY_RETRY_SECONDS = 1;

let gate: WorkGate = createWorkGate(availableParallelism(), DEFAULT_QUEUE);

/** Sets this process's bound on hashes at once and hashes waiting (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE). */
export function limitPasswordHashing(concurrency: number, queue: number): void {
  gate = createWorkGate(concurrency, queue);
}

async function gated<T>(job: () => Promise<T>): Promise<T> {
  try {
    return await gate.run(job);
  } catch (error) {
    if (error instanceof GateFullError) {
      throw new RetryLater('server.busy', 'The server is busy checking other passwords. Please try again in a moment.', BUSY_RETRY_SECONDS);
    }
    throw error;
  }
}

export function hashPassword(password: string): Promise<string> {
  return gated(() => hash(password, OPTIONS));
}

/** Whether `password` matches the stored hash, whatever its form; false for a hash of no known form. */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return gated(() => verifyStoredHash(passwordHash, password));
}

/**
 * Whether a stored hash is anything but argon2id with today's parameters: an imported one, or
 * ours from before a change of OPTIONS. The login that has just verified it hashes the password anew.
 */
export function needsRehash(passwordHash: string): boolean {
  if (!passwordHash.startsWith('$argon2id$')) return true;
  try {
    const current = parseOptions(passwordHash);
    // Version.V0x13 is 1 (an ambient const enum, as Algorithm above); 32 bytes is the library's default output.
    const ours = current.version === 1 && current.outputLen === 32;
    return (
      !ours ||
      current.memoryCost !== OPTIONS.memoryCost ||
      current.timeCost !== OPTIONS.timeCost ||
      current.parallelism !== OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends a verification's time when there is no user, so timing does not reveal which half was wrong. */
export async function verifyAgainstNothing(password: string): Promise<false> {
  // Outside the gate: made once, and a refusal must not be kept as the promise every later call awaits.
  dummyHash ??= hash('tessera-timing-equalizer', OPTIONS);
  await verifyPassword(await dummyHash, password);
  return false;
}
