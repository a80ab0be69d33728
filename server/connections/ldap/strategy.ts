/**
 * The `ldap` strategy: find the user's entry with the connection's search filter (as its
 * service account, over a small pool of bound connections, or anonymously), bind as that entry
 * with the typed password, and read the entry as the user.
 *
 * The user's bind gets a short-lived connection of its own: a bind changes whom a connection
 * acts for, so a pooled one would need a service re-bind after every login, and one whose
 * re-bind failed would be handed to the next login still acting as the last user.
 */
import { randomUUID } from 'node:crypto';
import { Client, type Entry } from 'ldapts';
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { withinDeadline } from '../../deadline.js';
import { DomainError } from '../../errors.js';
import { credentialsRefused } from '../credentials-refused.js';
import type { Closable, StrategyDependencies } from '../strategies.js';
import type { ConnectionCheck, CredentialStrategy, UpstreamUser } from '../strategy.js';
import { type DirectoryStep, directoryFailure, directoryTimeout } from './directory-errors.js';
import { entryAttributes } from './entry-attributes.js';
import { type LdapOptions, ldapOptionsSchema } from './options.js';
import { userSearchFilter } from './search-filter.js';
import { createServicePool, ServiceBindError, type ServicePool } from './service-pool.js';

/** One login against one connection, until its deadline. */
interface Attempt {
  connection: ConnectionRecord;
  options: LdapOptions;
  signal: AbortSignal;
}

function openClient(options: LdapOptions): Client {
  return new Client({ url: options.url, timeout: options.timeout_ms, connectTimeout: options.timeout_ms });
}

function closeQuietly(client: Client): void {
  void client.unbind().catch(() => undefined);
}

export function createLdapStrategy({ logger }: StrategyDependencies): Closable<CredentialStrategy & ConnectionCheck> {
  const log = logger.child({ component: 'ldap' });
  const pools = new Map<string, { key: string; pool: ServicePool }>();

  function poolFor(connection: ConnectionRecord, options: LdapOptions): ServicePool {
    const key = JSON.stringify([options.url, options.bind_dn, options.bind_password, options.pool_size, options.timeout_ms]);
    const current = pools.get(connection.id);
    if (current?.key === key) return current.pool;
    // The options changed: the old clients talk to another directory, or as another account.
    if (current) void current.pool.close();
    const pool = createServicePool({
      size: options.pool_size,
      open: () => openClient(options),
      bindDn: options.bind_dn,
      bindPassword: options.bind_password,
    });
    pools.set(connection.id, { key, pool });
    return pool;
  }

  /**
   * Runs one step, turning its failure into what the login page shows and logging the cause it
   * hides; not once the deadline has passed, when the login has already failed and been logged.
   */
  async function step<T>(attempt: Attempt, name: DirectoryStep, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      const bindFailed = error instanceof ServiceBindError;
      const cause = bindFailed ? error.reason : error;
      const failure = directoryFailure(bindFailed ? 'service bind' : name, cause);
      if (failure.code === 'auth.upstream_failed' && failure !== cause && !attempt.signal.aborted) {
        log.warn({ connection: attempt.connection.name, step: bindFailed ? 'service bind' : name, err: cause }, 'directory failed a login');
      }
      throw failure;
    }
  }

  /**
   * A login nobody has costs a failing bind too, as a wrong password does, so how long the
   * refusal takes does not tell which logins exist.
   */
  async function bindAsNobody(attempt: Attempt, password: string): Promise<void> {
    const client = openClient(attempt.options);
    try {
      await client.bind(`cn=${randomUUID()},${attempt.options.search_base}`, password);
    } catch {
      // Refused, as it must be: the entry does not exist.
    } finally {
      closeQuietly(client);
    }
  }

  async function findUserDn(attempt: Attempt, login: string, password: string): Promise<string> {
    const { connection, options, signal } = attempt;
    const filter = userSearchFilter(options.search_filter, login);
    const { searchEntries } = await step(
      attempt,
      'user search',
      // Two are enough to know the login is ambiguous; '1.1' asks for no attributes, only DNs.
      poolFor(connection, options).use(
        (client) => client.search(options.search_base, { scope: 'sub', filter, sizeLimit: 2, attributes: ['1.1'] }),
        signal,
      ),
    );
    const [first, second] = searchEntries;
    if (second) log.warn({ connection: connection.name }, 'login refused: the search filter matches several directory entries');
    if (!first || second) {
      await bindAsNobody(attempt, password);
      throw credentialsRefused();
    }
    return first.dn;
  }

  async function bindAndRead(attempt: Attempt, dn: string, password: string): Promise<Entry> {
    const { options, signal } = attempt;
    const client = openClient(options);
    const abandon = () => closeQuietly(client);
    signal.addEventListener('abort', abandon, { once: true });
    try {
      await step(attempt, 'user bind', client.bind(dn, password));
      const { searchEntries } = await step(
        attempt,
        'entry read',
        client.search(dn, { scope: 'base', attributes: ['*', options.id_attribute], explicitBufferAttributes: [options.id_attribute] }),
      );
      const [entry] = searchEntries;
      if (!entry) throw new DomainError('auth.upstream_failed', 'the directory did not let the user read their own entry');
      return entry;
    } finally {
      signal.removeEventListener('abort', abandon);
      closeQuietly(client);
    }
  }

  return {
    kind: 'credentials',

    async authenticate(connection: ConnectionRecord, login: string, password: string): Promise<UpstreamUser> {
      const options = ldapOptionsSchema.parse(connection.options);
      const trimmed = login.trim();
      // A DN with an empty password is an unauthenticated bind, which a directory may answer with success.
      if (trimmed === '' || password === '') throw credentialsRefused();
      // One limit for the whole login, whatever its number of round trips: each has its own timeout too.
      const entry = await withinDeadline(
        options.timeout_ms,
        async (signal) => {
          const attempt = { connection, options, signal };
          return bindAndRead(attempt, await findUserDn(attempt, trimmed, password), password);
        },
        directoryTimeout,
      );
      const { id, attributes } = entryAttributes(entry, options.id_attribute);
      if (!id)
        throw new DomainError('profile.invalid', `the directory entry has no ${options.id_attribute} attribute to identify the user by`);
      return { id, attributes };
    },

    /** Binds as the service account (or anonymously) on a connection of its own and reads the search base. */
    async check(connection) {
      const options = ldapOptionsSchema.parse(connection.options);
      const client = openClient(options);
      try {
        await withinDeadline(
          options.timeout_ms,
          async () => {
            try {
              await client.bind(options.bind_dn ?? '', options.bind_password ?? '');
            } catch (error) {
              throw directoryFailure('service bind', error);
            }
            try {
              await client.search(options.search_base, { scope: 'base', attributes: ['1.1'] });
            } catch (error) {
              throw directoryFailure('user search', error);
            }
          },
          directoryTimeout,
        );
      } finally {
        closeQuietly(client);
      }
      const who = options.bind_dn ? `as ${options.bind_dn}` : 'anonymously';
      return `Bound to ${options.url} ${who} and read ${options.search_base}.`;
    },

    async close() {
      const closing = [...pools.values()].map(({ pool }) => pool.close());
      pools.clear();
      await Promise.all(closing);
    },
  };
}
