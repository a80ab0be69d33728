/**
 * Password logins per second through a target's HTML forms, and the rate of bare argon2id
 * verifications they are bounded by, each with a fixed number of callers at a time.
 */
import { loadConfig } from '../server/config.js';
import { hashPassword, limitPasswordHashing, verifyPassword } from '../server/passwords.js';
import { discoverWebClient, signIn } from './login.js';
import type { Target } from './target.js';

export interface RateSettings {
  readonly concurrency: number;
  readonly durationSeconds: number;
}

export interface RateResult {
  readonly perSecond: number;
  readonly completed: number;
  readonly failed: number;
  /** The first failure's message, to say why a run is not valid. */
  readonly firstFailure?: string;
  /** CPU time spent on the operations, in microseconds, when measured. */
  readonly cpuMicros?: number;
  /** The server process's highest RSS so far, read once the run ended, when measured. */
  readonly peakRssBytes?: number;
}

/**
 * `concurrency` callers each run `job` again and again until `done` says stop; the rate is what
 * completed over the time until the last one came back.
 */
async function callersInLoop(
  concurrency: number,
  done: () => boolean,
  job: (caller: number, turn: number) => Promise<unknown>,
): Promise<RateResult> {
  const started = performance.now();
  let completed = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      for (let turn = 0; !done(); turn += 1) {
        try {
          await job(caller, turn);
          completed += 1;
        } catch (error) {
          failed += 1;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: completed / seconds, completed, failed, ...(firstFailure === undefined ? {} : { firstFailure }) };
}

const forTheDuration = (settings: RateSettings) => {
  const deadline = performance.now() + settings.durationSeconds * 1000;
  return () => performance.now() >= deadline;
};

/** Whole logins (authorization request, every form the target shows, up to the redirect with the code) until `done` says stop. */
export async function loginsUntil(target: Target, concurrency: number, done: () => boolean): Promise<RateResult> {
  const config = await discoverWebClient(target);
  const forms = target.loginForms?.length ? target.loginForms : [target.loginForm];
  return callersInLoop(concurrency, done, (caller, turn) =>
    signIn(config, forms[(caller + turn * concurrency) % forms.length] ?? target.loginForm),
  );
}

/** Whole logins for the settings' duration. */
export function measureLogins(target: Target, settings: RateSettings): Promise<RateResult> {
  return loginsUntil(target, settings.concurrency, forTheDuration(settings));
}

/**
 * argon2id verifications of a correct password, with Tessera's parameters and through its
 * per-process bound on hashes at once (PASSWORD_HASH_CONCURRENCY and _QUEUE at their defaults).
 */
export async function measureRawVerifies(settings: RateSettings): Promise<RateResult> {
  const { limits } = loadConfig({});
  limitPasswordHashing(limits.passwordHashConcurrency, limits.passwordHashQueue);
  const password = 'correct horse battery staple';
  const passwordHash = await hashPassword(password);
  // This process does nothing else meanwhile: its CPU time is the verifications'.
  const before = process.cpuUsage();
  const result = await callersInLoop(settings.concurrency, forTheDuration(settings), async () => {
    if (!(await verifyPassword(passwordHash, password))) throw new Error('the password did not verify');
  });
  const { user, system } = process.cpuUsage(before);
  return { ...result, cpuMicros: user + system };
}
