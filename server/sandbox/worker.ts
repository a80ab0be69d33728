/**
 * The worker-thread side of the sandbox: imports an operator's module by its file URL and runs
 * one call of it. Whatever the module does to its thread (loops, exits, exhausts its heap),
 * Tessera's event loop goes on; the answer is plain data (./tasks.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { workerData } from 'piscina';
import { createRuleApi } from '../rules/rule-api.js';
import { asThrown, type SandboxAnswer, type SandboxNotice, type SandboxTask, type SandboxWorkerData } from './tasks.js';

const notices = new BroadcastChannel((workerData as SandboxWorkerData).notices);
notices.unref();

function notify(notice: SandboxNotice): void {
  notices.postMessage(notice);
}

type Module = Record<string, unknown> & { default?: unknown };

/** A named export, or a property of the default export: CommonJS modules arrive as their default. */
function exported(module: Module, name: string): unknown {
  if (name === 'default') return module.default;
  if (module[name] !== undefined) return module[name];
  const fallback = module.default;
  return typeof fallback === 'object' || typeof fallback === 'function' ? (fallback as Record<string, unknown> | null)?.[name] : undefined;
}

/** Buffers cross as Uint8Arrays; mappers written for the main thread expect Buffers (LDAP's binary attributes). */
function withBuffers(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (depth >= 2 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => withBuffers(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withBuffers(item, depth + 1)]));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The value as it will reach the main thread, or why it cannot. */
function cloneable(value: unknown): SandboxAnswer {
  try {
    return { status: 'returned', value: structuredClone(value) };
  } catch (error) {
    return {
      status: 'threw',
      error: { name: 'TypeError', message: `returned a value that is not plain data (${(error as Error).message})` },
    };
  }
}

export default async function run(task: SandboxTask): Promise<SandboxAnswer> {
  let module: Module;
  try {
    module = (await import(pathToFileURL(task.file).href)) as Module;
  } catch (error) {
    return { status: 'unloadable', error: asThrown(error) };
  }
  if (task.kind === 'rule') {
    const context = { rule: path.basename(task.file), user_id: task.event.user.user_id, client_id: task.event.client.client_id };
    const { api, effects, close } = createRuleApi(task.issuer, (method) =>
      notify({ ...context, method, msg: 'login rule called the api after it had finished; ignored' }),
    );
    const onExecutePostLogin = exported(module, 'onExecutePostLogin');
    // The file may have changed since start-up checked it.
    if (typeof onExecutePostLogin !== 'function') return { status: 'incomplete', missing: ['onExecutePostLogin'] };
    try {
      await onExecutePostLogin(deepFreeze(task.event), api);
      return { status: 'returned', value: undefined, effects };
    } catch (error) {
      return { status: 'threw', error: asThrown(error), effects };
    } finally {
      close();
    }
  }
  const missing = task.required.filter((name) => typeof exported(module, name) !== 'function');
  if (task.kind === 'inspect' || missing.length > 0)
    return missing.length > 0 ? { status: 'incomplete', missing } : { status: 'returned', value: undefined };
  try {
    const fn = exported(module, task.fn) as (...args: unknown[]) => unknown;
    return cloneable(await fn(...task.args.map((arg) => withBuffers(arg))));
  } catch (error) {
    return { status: 'threw', error: asThrown(error) };
  }
}
