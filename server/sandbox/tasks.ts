/**
 * What crosses the thread boundary between Tessera and a sandbox worker: structured-cloneable
 * data only, never a function or a class instance.
 */
import type { PostLoginEvent } from '../rules/post-login.js';
import type { RuleEffects } from '../rules/rule-api.js';

export type SandboxTask =
  /** Imports the module and answers with the names among `required` it does not export as functions. */
  | { kind: 'inspect'; file: string; required: string[] }
  /** Imports the module, checks `required`, then calls its export `fn` with `args`. */
  | { kind: 'call'; file: string; required: string[]; fn: string; args: unknown[] }
  /** Runs a post-login rule with a recording `api`; the effects are applied by the main thread. */
  | { kind: 'rule'; file: string; issuer: string; event: PostLoginEvent };

export interface SandboxWorkerData {
  /** The BroadcastChannel on which workers send notices. */
  notices: string;
}

/** A line for Tessera's log, sent by a worker. */
export type SandboxNotice = { msg: string } & Record<string, unknown>;

/** An error thrown in the worker, as data. */
export interface ThrownError {
  name: string;
  message: string;
  stack?: string | undefined;
}

export type SandboxAnswer =
  | { status: 'returned'; value: unknown; effects?: RuleEffects }
  | { status: 'threw'; error: ThrownError; effects?: RuleEffects }
  /** The module could not be imported: a syntax error, a missing import, a throw at its top level. */
  | { status: 'unloadable'; error: ThrownError }
  | { status: 'incomplete'; missing: string[] };

export type SandboxOutcome =
  | SandboxAnswer
  /** Ran past its time limit: its worker thread was terminated. */
  | { status: 'timed-out' }
  /** Its worker thread ended under it: process.exit, out of memory. */
  | { status: 'crashed'; error: ThrownError };

export function asThrown(error: unknown): ThrownError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { name, message } = error as { name?: unknown; message: string };
    return { name: typeof name === 'string' ? name : 'Error', message };
  }
  return { name: 'Error', message: String(error) };
}

/** Back into an Error for the log, which shows its type, message and the worker's stack. */
export function asError(thrown: ThrownError): Error {
  const error = new Error(thrown.message);
  error.name = thrown.name;
  if (thrown.stack !== undefined) error.stack = thrown.stack;
  return error;
}
