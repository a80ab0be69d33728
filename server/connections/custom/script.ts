/**
 * Custom database scripts: the operator's module that speaks to a database only it knows. The
 * contract is Auth0's custom database action scripts, with async functions for callbacks.
 * `options.script` names an ES module (resolved against the working directory, loaded once)
 * whose named exports are:
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
 * A call that throws or outlives `options.timeout_ms` is `auth.upstream_failed`: the page or
 * the API caller gets one line saying which function failed, the log gets the whole error.
 * @see https://auth0.com/docs/authenticate/database-connections/custom-db/templates
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectionRow } from '../../../adapters/sequelize/models.js';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { UpstreamUser } from '../strategy.js';
import { customOptions } from './options.js';

const SCRIPT_FUNCTIONS = ['login', 'create', 'verify', 'delete', 'changePassword', 'getUser'] as const;
export type ScriptFunction = (typeof SCRIPT_FUNCTIONS)[number];

export interface ScriptContext {
  connection: string;
  configuration: Readonly<Record<string, string>>;
}

type CustomScript = Record<ScriptFunction, (...args: unknown[]) => unknown>;

/** Same text as the database strategy's: never say which half was wrong. */
const WRONG_CREDENTIALS = 'Wrong email, username or password.';

export function wrongCredentials(): DomainError {
  return new DomainError('auth.invalid_credentials', WRONG_CREDENTIALS);
}

/** A failure whose message is already fit for the page: it names no path and holds no stack. */
class ScriptFailure extends Error {}

const MAX_DETAIL = 200;

function detailOf(fn: ScriptFunction, error: unknown): string {
  if (error instanceof ScriptFailure) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n', 1)[0]?.trim() || 'no message';
  return `${fn}: ${line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}…` : line}`;
}

function isWrongCredentials(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'WrongUsernameOrPasswordError';
}

/** `user_id` or `id`, as a non-empty string: the identity's id is built from it, so it must not change. */
function stableId(profile: Record<string, unknown>): string | undefined {
  const id = profile['user_id'] ?? profile['id'];
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  return typeof id === 'string' && id.trim() !== '' && id.length <= 256 ? id.trim() : undefined;
}

export interface ScriptRunner {
  /** Calls one function of the connection's script with the context appended; resolves to whatever it returned. */
  call(connection: ConnectionRow, fn: ScriptFunction, ...args: unknown[]): Promise<unknown>;
  /** `login`, `getUser` or `create`: the profile it returned, with its stable id, or undefined for null. */
  profile(connection: ConnectionRow, fn: 'login' | 'getUser' | 'create', ...args: unknown[]): Promise<UpstreamUser | undefined>;
}

export function createScriptRunner(logger: Logger): ScriptRunner {
  const log = logger.child({ component: 'custom-db' });
  const loaded = new Map<string, Promise<CustomScript>>();

  function load(modulePath: string): Promise<CustomScript> {
    const resolved = path.resolve(modulePath);
    let script = loaded.get(resolved);
    if (!script) {
      script = import(pathToFileURL(resolved).href).then(
        (module: Record<string, unknown>) => {
          const missing = SCRIPT_FUNCTIONS.filter((fn) => typeof module[fn] !== 'function');
          if (missing.length > 0) throw new ScriptFailure(`the script does not export ${missing.join(', ')} as functions`);
          return module as CustomScript;
        },
        (error: unknown) => {
          log.error({ err: error, script: resolved }, 'custom database script could not be loaded');
          throw new ScriptFailure('the script could not be loaded');
        },
      );
      script.catch(() => loaded.delete(resolved));
      loaded.set(resolved, script);
    }
    return script;
  }

  async function call(connection: ConnectionRow, fn: ScriptFunction, ...args: unknown[]): Promise<unknown> {
    const options = customOptions(connection.options);
    const context: ScriptContext = { connection: connection.name, configuration: options.configuration };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ScriptFailure(`${fn} timed out after ${options.timeout_ms} ms`)), options.timeout_ms);
    });
    try {
      // The script keeps running after a timeout (nothing can stop it); its late answer is ignored.
      return await Promise.race([load(options.script).then((script) => script[fn](...args, context)), timeout]);
    } catch (error) {
      if (fn === 'login' && isWrongCredentials(error)) throw wrongCredentials();
      log.warn({ err: error, connection: connection.name, script_function: fn }, 'custom database script failed');
      throw new DomainError('auth.upstream_failed', `the custom database script failed: ${detailOf(fn, error)}`);
    } finally {
      clearTimeout(timer);
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
