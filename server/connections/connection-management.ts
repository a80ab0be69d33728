/**
 * The connection operations behind connections.*: options checked per strategy, upstream
 * secrets never shown, the client ↔ connection relation seen from the connection's side, and
 * a delete that refuses to strand users unless asked to take them along.
 */
import { randomBytes } from 'node:crypto';
import type { ZodError } from 'zod';
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import type { ClientStore } from '../clients/client-store.js';
import { DomainError, isDomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import { isPrimaryIdentity } from '../profiles/profile.js';
import { type CodeDir, CodePathError } from '../sandbox/code-dir.js';
import {
  type ConnectionChanges,
  type ConnectionView,
  type CreateConnectionInput,
  type ListConnectionsInput,
  parseOptions,
} from './connection-schemas.js';
import { keepSecrets, withoutSecrets } from './option-secrets.js';
import { type Strategies, strategyTraits } from './strategies.js';

export interface ConnectionManagementDependencies {
  connections: ConnectionQueries;
  clients: ClientStore;
  events: EventBus;
  revokeAccount: RevokeAccount;
  /** Where `options.script` and `options.mapper` must point. */
  codeDir: CodeDir;
  /** For `check`: the strategies that can reach their upstream on demand. */
  strategies: Strategies;
}

export interface ConnectionCheckResult {
  ok: boolean;
  message: string;
}

export interface ConnectionRemoval {
  deleted: true;
  /** Users whose own identity (the one their user_id names) was in the connection. */
  deleted_users: number;
  /** Users who keep their account and lose a linked identity that was in the connection. */
  unlinked_users: number;
}

const newConnectionId = () => `con_${randomBytes(8).toString('hex')}`;

function notFound(id: string): DomainError {
  return new DomainError('connection.not_found', `connection ${id} does not exist`, 'id');
}

function invalidOptions(error: ZodError): DomainError {
  const issue = error.issues[0];
  const field = issue?.path.join('.') ?? 'options';
  return new DomainError('connection.invalid', `${field}: ${issue?.message ?? 'invalid'}`, field);
}

/** Options as the API shows them: defaults filled in where the strategy says so, upstream secrets never leave. */
function optionsView(row: ConnectionRecord): Record<string, unknown> {
  return withoutSecrets(row.strategy, strategyTraits(row.strategy)?.readOptions?.(row.options) ?? row.options);
}

function view(row: ConnectionRecord, enabledClients: string[]): ConnectionView {
  return { id: row.id, name: row.name, strategy: row.strategy, options: optionsView(row), enabled_clients: enabledClients };
}

/** The options naming operator code, each checked against CODE_DIR on create and update. */
const CODE_OPTIONS = ['script', 'mapper'] as const;

export function createConnectionManagement({
  connections,
  clients,
  events,
  revokeAccount,
  codeDir,
  strategies,
}: ConnectionManagementDependencies) {
  async function load(id: string): Promise<ConnectionRecord> {
    const row = await connections.findById(id);
    if (!row) throw notFound(id);
    return row;
  }

  async function checkClientsExist(clientIds: readonly string[]): Promise<void> {
    const found = await Promise.all(clientIds.map((clientId) => clients.find(clientId)));
    const unknown = clientIds.filter((_, index) => !found[index]);
    if (unknown.length > 0) throw new DomainError('connection.invalid', `unknown client: ${unknown.join(', ')}`, 'enabled_clients');
  }

  async function checkCodeOptions(options: Record<string, unknown>): Promise<void> {
    for (const name of CODE_OPTIONS) {
      const value = options[name];
      if (typeof value !== 'string') continue;
      const field = `options.${name}`;
      await codeDir.resolve(value).catch((error: unknown) => {
        if (error instanceof CodePathError) throw new DomainError('connection.invalid', `${field}: ${error.message}`, field);
        throw error;
      });
    }
  }

  async function enabledClients(id: string): Promise<string[]> {
    return (await connections.clientIdsByConnection([id])).get(id) ?? [];
  }

  return {
    /**
     * Reaches the connection's upstream as a login would (an ldap service bind, an oidc
     * discovery) and says what answered; a failure is the result, with the sentence a login
     * page would show, not an error of the call.
     */
    async check(id: string): Promise<ConnectionCheckResult> {
      const connection = await load(id);
      const strategy = strategyTraits(connection.strategy)?.checkable ? strategies.get(connection.strategy) : undefined;
      if (!strategy?.check) {
        throw new DomainError('connection.invalid', `a ${connection.strategy} connection has nothing to check before a login`, 'id');
      }
      try {
        return { ok: true, message: await strategy.check(connection) };
      } catch (error) {
        if (isDomainError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async create(input: CreateConnectionInput): Promise<ConnectionView> {
      await checkClientsExist(input.enabled_clients);
      await checkCodeOptions(input.options ?? {});
      const id = newConnectionId();
      try {
        await connections.transaction(async (transaction) => {
          await connections.create({ id, name: input.name, strategy: input.strategy, options: input.options ?? {} }, transaction);
          await connections.setEnabledClients(id, input.enabled_clients, transaction);
        });
      } catch (error) {
        if (error instanceof StoreConflict) {
          throw new DomainError('connection.exists', `a connection named "${input.name}" already exists`, 'name');
        }
        throw error;
      }
      return this.get(id);
    },

    async get(id: string): Promise<ConnectionView> {
      return view(await load(id), await enabledClients(id));
    },

    async list({ strategy, name, page, per_page: perPage }: ListConnectionsInput) {
      const strategies = strategy === undefined || Array.isArray(strategy) ? strategy : [strategy];
      const { rows, total } = await connections.page(page * perPage, perPage, { strategies, name });
      const enabled = await connections.clientIdsByConnection(rows.map((row) => row.id));
      return {
        connections: rows.map((row) => view(row, enabled.get(row.id) ?? [])),
        start: page * perPage,
        limit: perPage,
        length: rows.length,
        total,
      };
    },

    async update(id: string, changes: ConnectionChanges): Promise<ConnectionView> {
      const row = await load(id);
      if (changes.strategy !== undefined && changes.strategy !== row.strategy) {
        throw new DomainError('connection.invalid', `a connection's strategy cannot change (it is ${row.strategy})`, 'strategy');
      }
      if (changes.name !== undefined && changes.name !== row.name) {
        throw new DomainError('connection.invalid', "a connection's name cannot change: users, clients and logins refer to it", 'name');
      }
      let options: Record<string, unknown> | undefined;
      if (changes.options !== undefined) {
        const parsed = parseOptions(row.strategy, row.name, keepSecrets(row.strategy, row.options, changes.options));
        if (!parsed.success) throw invalidOptions(parsed.error);
        options = parsed.data.options ?? {};
        await checkCodeOptions(options);
      }
      if (changes.enabled_clients) await checkClientsExist(changes.enabled_clients);
      await connections.transaction(async (transaction) => {
        if (options) await connections.updateOptions(row, options, transaction);
        if (changes.enabled_clients) await connections.setEnabledClients(id, changes.enabled_clients, transaction);
      });
      return this.get(id);
    },

    /**
     * Without cascade, a connection anyone still logs in with is kept (CONFLICT). With it, a user
     * whose own identity is there is deleted with every linked identity; a user who only linked
     * an identity from there keeps the account and loses that identity.
     */
    async remove(id: string, cascade: boolean): Promise<ConnectionRemoval> {
      const { deleted, unlinked } = await connections.transaction(async (transaction) => {
        const row = await connections.lock(id, transaction);
        if (!row) throw notFound(id);
        const owners = await connections.identityOwners(id, transaction);
        const userIds = new Set(owners.map((owner) => owner.user_id));
        if (userIds.size > 0 && !cascade) {
          throw new DomainError(
            'connection.in_use',
            `connection "${row.name}" still has ${userIds.size} user${userIds.size === 1 ? '' : 's'}; delete them first or pass cascade: true`,
            'cascade',
          );
        }
        const doomed = new Set(owners.filter((owner) => isPrimaryIdentity({ id: owner.user_id }, owner)).map((owner) => owner.user_id));
        await connections.removeWithUsers(id, [...doomed], transaction);
        return { deleted: [...doomed], unlinked: [...userIds].filter((userId) => !doomed.has(userId)) };
      });
      for (const userId of deleted) {
        await revokeAccount(userId);
        await events.publish('user.deleted', userId);
      }
      for (const userId of unlinked) await events.publish('user.unlinked', userId);
      return { deleted: true, deleted_users: deleted.length, unlinked_users: unlinked.length };
    },
  };
}

export type ConnectionManagement = ReturnType<typeof createConnectionManagement>;
