/**
 * Runs operator code (post-login rules, custom database scripts, profile mapper modules) in a
 * pool of worker threads, so a module that loops, blocks, exits or eats memory costs only
 * its own call: each call has a time limit, and a call that overruns has its worker thread
 * terminated (piscina terminates the thread of an aborted task, even one that never yields).
 * Worker threads share the process: this guards Tessera's liveness, not its secrets, so
 * CODE_DIR and RULES_DIR must still hold only code the operator trusts.
 * @see https://github.com/piscinajs/piscina#method-runtask-options
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Logger } from '../logger.js';
import { asThrown, type SandboxNotice, type SandboxOutcome, type SandboxTask, type SandboxWorkerData } from './tasks.js';

/** Heap of one worker: far above what a rule or a script needs, far below the server's. */
const WORKER_HEAP_MB = 128;
/** Calls stuck until their time limit each hold a thread: a few spare threads keep other logins going. */
const MAX_THREADS = Math.max(4, availableParallelism());
/** Idle workers keep the modules they imported (and a script's database pool) for the next call. */
const IDLE_TIMEOUT_MS = 60_000;

export interface Sandbox {
  /** Never rejects: every way the call can end is an outcome. */
  run(task: SandboxTask, timeLimitMs: number): Promise<SandboxOutcome>;
  close(): Promise<void>;
}

/** From source (tsx, vitest) the worker is TypeScript importing `.js` names of `.ts` files: tsx's loader maps them. */
function workerOptions(): { filename: string; execArgv?: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`./worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return fromSource ? { filename, execArgv: [...process.execArgv, '--import', 'tsx'] } : { filename };
}

export function createSandbox(logger: Logger): Sandbox {
  const log = logger.child({ component: 'sandbox' });
  // What workers report after a call has ended (a rule's late api call), when no task can carry it.
  const workerData: SandboxWorkerData = { notices: `tessera-sandbox-${randomUUID()}` };
  const notices = new BroadcastChannel(workerData.notices);
  notices.unref();
  notices.onmessage = (message) => {
    const { msg, ...fields } = (message as { data: SandboxNotice }).data;
    log.warn(fields, msg);
  };
  const pool = new Piscina({
    ...workerOptions(),
    workerData,
    minThreads: 0,
    maxThreads: MAX_THREADS,
    idleTimeout: IDLE_TIMEOUT_MS,
    // Between tasks a worker's event loop keeps turning (a script's database pool needs it).
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  // A worker whose leftover timer throws between tasks ends; without a listener the pool's error would end Tessera.
  pool.on('error', (error: unknown) => log.warn({ err: error }, 'a sandbox worker failed between calls; it was replaced'));

  return {
    async run(task, timeLimitMs) {
      const signal = AbortSignal.timeout(timeLimitMs);
      try {
        return (await pool.run(task, { signal })) as SandboxOutcome;
      } catch (error) {
        if (signal.aborted) return { status: 'timed-out' };
        return { status: 'crashed', error: asThrown(error) };
      }
    },
    async close() {
      await pool.destroy();
      notices.close();
    },
  };
}
