/**
 * Custom database scripts: the operator's module that speaks to a database only it knows. The
 * contract is Auth0's custom database action scripts, with async functions for callbacks.
 * `options.script` names an ES module inside CODE_DIR (server/sandbox/code-dir.ts), imported
 * and called in the sandbox's worker threads only, whose named exports are:
 *
 * - `login(emailOrUsername, password, context) → profile | null`: the user whose credentials
 *   match, under the database's own attribute names (the connection's mapping normalizes them),
 *   with a stable `user_id` (or `id`). `null`, or throwing an error named
 *   `WrongUsernameOrPasswordError`, means wrong credentials.
 * - `create(user, context) → profile`: stores a new user (`user` holds users.create's profile
 *   fields and `password`) and returns its profile as `login` would, stable id included.
 * - `verify(email, context)`: marks the email verified.
 * - `delete(id, context)`: removes the user with that stable id; one already gone is no error.
 * - `changePassword(email, newPassword, context)`.
 * - `getUser(email, context) → profile | null`.
 *
 * `context` is `{connection, configuration}`: the connection's name and `options.configuration`.
 * Arguments and answers cross a thread boundary, so they are plain data. A call that throws,
 * ends its thread or outlives `options.timeout_ms` (its thread is then terminated) is
 * `auth.upstream_failed` with an error id: the API caller gets one line saying which function
 * failed, the login page only the id, the log the id with the whole error.
 * @see https://auth0.com/docs/authenticate/database-connections/custom-db/templates
 */
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { type CodeDir, CodePathError } from '../../sandbox/code-dir.js';
import { type CodeFailure, loggedCodeFailure } from '../../sandbox/code-failure.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { asError } from '../../sandbox/tasks.js';
import { credentialsRefused } from '../credentials-refused.js';
import type { UpstreamUser } from '../strategy.js';
import { customOptions } from './options.js';

const SCRIPT_FUNCTIONS = ['login', 'create', 'verify', 'delete', 'changePassword', 'getUser'] as const;
export type ScriptFunction = (typeof SCRIPT_FUNCTIONS)[number];

export interface ScriptContext {
  connection: string;
  configuration: Readonly<Record<string, string>>;
}

const MAX_DETAIL = 200;

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0]?.trim() || 'no message';
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}…` : line;
}

/** `user_id` or `id`, as a non-empty string: the identity's id is built from it, so it must not change. */
function stableId(profile: Record<string, unknown>): string | undefined {
  const id = profile['user_id'] ?? profile['id'];
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  return typeof id === 'string' && id.trim() !== '' && id.length <= 256 ? id.trim() : undefined;
}

export interface ScriptRunner {
  /** Calls one function of the connection's script with the context appended; resolves to whatever it returned. */
  call(connection: ConnectionRecord, fn: ScriptFunction, ...args: unknown[]): Promise<unknown>;
  /** `login`, `getUser` or `create`: the profile it returned, with its stable id, or undefined for null. */
  profile(connection: ConnectionRecord, fn: 'login' | 'getUser' | 'create', ...args: unknown[]): Promise<UpstreamUser | undefined>;
}

export interface ScriptRunnerDependencies {
  sandbox: Sandbox;
  codeDir: CodeDir;
  logger: Logger;
}

export function createScriptRunner({ sandbox, codeDir, logger }: ScriptRunnerDependencies): ScriptRunner {
  const log = logger.child({ component: 'custom-db' });

  async function call(connection: ConnectionRecord, fn: ScriptFunction, ...args: unknown[]): Promise<unknown> {
    const options = customOptions(connection.options);
    const context: ScriptContext = { connection: connection.name, configuration: options.configuration };
    const failure = (detail: string, fields: Record<string, unknown> = {}): CodeFailure =>
      loggedCodeFailure(
        log,
        'custom database script failed',
        { ...fields, connection: connection.name, script_function: fn, reason: detail },
        'auth.upstream_failed',
        `the custom database script failed: ${detail}`,
      );

    let file: string;
    try {
      file = await codeDir.resolve(options.script);
    } catch (error) {
      if (!(error instanceof CodePathError)) throw error;
      throw failure(`the script cannot be loaded: options.script: ${error.message}`);
    }
    const outcome = await sandbox.run(
      { kind: 'call', file, required: [...SCRIPT_FUNCTIONS], fn, args: [...args, context] },
      options.timeout_ms,
    );
    switch (outcome.status) {
      case 'returned':
        return outcome.value;
      case 'threw':
        if (fn === 'login' && outcome.error.name === 'WrongUsernameOrPasswordError') throw credentialsRefused();
        throw failure(`${fn}: ${firstLine(outcome.error.message)}`, { err: asError(outcome.error) });
      case 'timed-out':
        throw failure(`${fn} timed out after ${options.timeout_ms} ms`);
      case 'incomplete':
        throw failure(`the script does not export ${outcome.missing.join(', ')} as functions`);
      case 'unloadable':
        throw failure('the script could not be loaded', { err: asError(outcome.error), script: file });
      case 'crashed':
        throw failure(`${fn}: the script ended its worker thread`, { err: asError(outcome.error), script: file });
    }
  }

  return {
    call,
    async profile(connection, fn, ...args) {
      const answer = await call(connection, fn, ...args);
      if (answer === null || answer === undefined) return undefined;
      const id = typeof answer === 'object' && !Array.isArray(answer) ? stableId(answer as Record<string, unknown>) : undefined;
      if (id === undefined) {
        log.warn({ connection: connection.name, script_function: fn }, 'custom database script returned a profile without a stable id');
        throw new DomainError('auth.upstream_failed', `the custom database script failed: ${fn} returned a profile without a user_id`);
      }
      return { id, attributes: answer as Record<string, unknown> };
    },
  };
}
