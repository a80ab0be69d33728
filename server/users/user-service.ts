/**
 * The user operations behind users.* and me.*: create, read, update and delete, each atomic,
 * each publishing its event after it commits. Linking and unlinking are in account-linking.ts.
 */
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { UserRecord, UserWithIdentities } from '../../adapters/queries/records.js';
import type { Transaction } from '../../adapters/queries/transaction.js';
import { FIELD_TYPES, type UserQuery } from '../../adapters/queries/user-query-tree.js';
import { InvalidCursorError, SearchTimeoutError, type UserSearchQueries } from '../../adapters/queries/user-search.js';
import type { MetadataPatch, UserQueries, UserUpdate } from '../../adapters/queries/users.js';
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { userLoginSubjects } from '../abuse/login-subjects.js';
import type { AccountMail } from '../accounts/account-mail.js';
import { type CustomLifecycle, customCredential } from '../connections/custom/lifecycle.js';
import { checkPasswordPolicy, databaseCredential, databaseOptions } from '../connections/database-connection.js';
import { strategyTraits } from '../connections/strategies.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import { allowedManagementScopes, checkGrantable, checkManageable } from '../oidc/management-api.js';
import { hashPassword } from '../passwords.js';
import { isPrimaryIdentity, type Profile, toProfile } from '../profiles/profile.js';
import type { ProfileService } from '../profiles/profile-service.js';
import { createAccountLinking } from './account-linking.js';
import { checkMergedMetadata } from './metadata-limits.js';
import { userNotFound as notFound } from './user-not-found.js';
import { parseUserQuery, parseUserSort } from './user-query.js';
import { type CreateUserInput, type ListUsersInput, ROOT_COLUMNS, type UserChanges } from './user-schemas.js';

const DEFAULT_PER_PAGE = 50;

export interface UserPage {
  users: Profile[];
  start: number;
  limit: number;
  length: number;
  total?: number;
  /** Tessera's addition: `total` is an estimate, as it is past 10,000 matches (docs/management-api.md). */
  total_estimated?: true;
}

export interface CheckpointPage {
  users: Profile[];
  next?: string;
}

export interface UserServiceDependencies {
  users: UserQueries;
  search: UserSearchQueries;
  connections: ConnectionQueries;
  profiles: ProfileService;
  events: EventBus;
  revokeAccount: RevokeAccount;
  /** The script calls of custom database connections, before each change is written here. */
  custom: CustomLifecycle;
  /** The brute-force blocks an unblock or a new password lifts. */
  loginAttempts: Pick<LoginAttempts, 'unblock'>;
  /** The verification message a new email gets, queued with the change that made it. */
  accountMail: Pick<AccountMail, 'sendVerification'>;
}

/** A change prepared outside a transaction, written inside the caller's (see prepareUpdate). */
export interface PreparedUpdate {
  write(transaction: Transaction): Promise<void>;
  committed(): Promise<void>;
}

/** How an operator's update reads, beyond the changes themselves (users.update passes Auth0's rules). */
export interface UpdateOptions {
  /**
   * Auth0's `verify_email`: true sends the verification link to the user's (new or current)
   * address, false sends none; unset, a new address gets one unless `email_verified` is true.
   */
  verifyEmail?: boolean | undefined;
  /** Auth0's rule that metadata patched with an empty object is cleared; otherwise `{}` changes nothing. */
  emptyMetadataClears?: boolean | undefined;
  /**
   * Auth0's `connection`, the identity an update targets: only the user's own (primary) identity's
   * is accepted, since a linked identity's attributes are a snapshot Tessera does not change.
   */
  connection?: string | undefined;
}

function splitMetadata(patch: Record<string, unknown> | undefined | null, emptyClears: boolean): MetadataPatch | undefined {
  if (!patch) return undefined;
  if (emptyClears && Object.keys(patch).length === 0) return { set: {}, remove: [], clear: true };
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/** `query` narrowed to users holding an identity of `connection`, as `identities.connection:"<name>"` would. */
function withConnection(query: UserQuery | undefined, connection: string | undefined): UserQuery | undefined {
  if (connection === undefined) return query;
  const inConnection: UserQuery = {
    kind: 'match',
    field: { name: 'identities.connection', type: FIELD_TYPES['identities.connection'], path: [] },
    value: connection,
    prefix: false,
  };
  return query ? { kind: 'and', operands: [query, inConnection] } : inConnection;
}

/** A search PostgreSQL cancelled at its statement timeout is the query's cost, and is said so. */
async function searching<T>(search: Promise<T>): Promise<T> {
  try {
    return await search;
  } catch (error) {
    if (error instanceof SearchTimeoutError) {
      throw new DomainError('search.timeout', 'the search took too long and was cancelled: narrow q, or page with from and take', 'q');
    }
    throw error;
  }
}

export function createUserService({
  users,
  search,
  connections,
  profiles,
  events,
  revokeAccount,
  custom,
  loginAttempts,
  accountMail,
}: UserServiceDependencies) {
  const linking = createAccountLinking({ users, events, revokeAccount });

  /**
   * `callerScopes` are those of the management caller making the change; undefined for changes
   * the user makes themselves (me.update) or a login rule makes, which never touch privileges.
   */
  function checkUserManageable(user: UserRecord, callerScopes: ReadonlySet<string> | undefined, field = 'id'): void {
    if (callerScopes) checkManageable(`user ${user.id}`, user.management_scopes, callerScopes, field);
  }

  async function checkManageableById(userId: string, callerScopes: ReadonlySet<string> | undefined, field = 'id'): Promise<void> {
    if (!callerScopes) return;
    const found = await users.findById(userId);
    if (found) checkUserManageable(found.user, callerScopes, field);
  }

  function checkScopesGrantable(scopes: readonly string[] | undefined, callerScopes: ReadonlySet<string> | undefined): void {
    if (scopes === undefined) return;
    if (!callerScopes)
      throw new DomainError('user.invalid', 'management_scopes are granted through the management API only', 'management_scopes');
    checkGrantable(scopes, callerScopes);
  }

  async function load(userId: string) {
    const found = await users.findById(userId);
    if (!found) throw notFound(userId);
    return found;
  }

  /**
   * Everything of an update but its transaction: the checks and the password hash at once; the
   * custom script's call, the writes (in the given transaction) and what follows the commit
   * (lifting blocks, revoking a blocked user, the events) for the caller to run in order.
   */
  async function prepare(
    found: UserWithIdentities,
    changes: UserChanges,
    callerScopes: ReadonlySet<string> | undefined,
    options: UpdateOptions = {},
  ) {
    const { user, identities } = found;
    const userId = user.id;
    checkUserManageable(user, callerScopes);
    checkScopesGrantable(changes.management_scopes, callerScopes);
    if (options.connection !== undefined) {
      const own = identities.find((identity) => isPrimaryIdentity(user, identity))?.connection?.name;
      if (options.connection !== own) {
        const ownIdentity = own === undefined ? 'which has none' : `of connection "${own}"`;
        throw new DomainError('user.invalid', `an update can only target the user's own identity, ${ownIdentity}`, 'connection');
      }
    }
    checkMergedMetadata('user_metadata', user.user_metadata as Record<string, unknown>, changes.user_metadata);
    checkMergedMetadata('app_metadata', user.app_metadata as Record<string, unknown>, changes.app_metadata);
    const credential = databaseCredential(user, identities);
    const customIdentity = customCredential(user, identities);
    const columns = Object.fromEntries(
      ROOT_COLUMNS.flatMap((column) => (changes[column] === undefined ? [] : [[column, changes[column]]])),
    );
    if (typeof columns['email'] === 'string') columns['email'] = columns['email'].toLowerCase();
    // A new address is unproven until its owner follows the link sent to it, unless the caller says it is proven.
    const newEmail = typeof columns['email'] === 'string' && columns['email'] !== user.email ? columns['email'] : undefined;
    if (newEmail !== undefined && changes.email_verified === undefined) columns['email_verified'] = false;
    const verifyEmail = options.verifyEmail ?? (newEmail !== undefined && changes.email_verified !== true);
    const emailAfter = changes.email === undefined ? user.email : (newEmail ?? changes.email);
    const verifyAddress = verifyEmail && emailAfter ? emailAfter.toLowerCase() : undefined;
    const update: UserUpdate = {
      columns,
      user_metadata: splitMetadata(changes.user_metadata, options.emptyMetadataClears === true),
      app_metadata: splitMetadata(changes.app_metadata, options.emptyMetadataClears === true),
      management_scopes: changes.management_scopes && allowedManagementScopes(changes.management_scopes),
    };

    let passwordHash: string | undefined;
    // A custom user's password belongs to its script (and to the local hash once imported): callScript below.
    if (changes.password !== undefined && !customIdentity) {
      if (!credential) throw new DomainError('user.invalid', 'this user has no database identity to set a password on', 'password');
      const connection = await connections.findById(credential.connection_id);
      if (connection) checkPasswordPolicy(databaseOptions(connection), changes.password);
      passwordHash = await hashPassword(changes.password);
    }
    const credentialData = { ...(credential?.profile_data ?? {}) };
    for (const key of ['email', 'username'] as const) {
      const value = changes[key];
      if (value === undefined) continue;
      if (value === null) delete credentialData[key];
      else credentialData[key] = key === 'email' ? value.toLowerCase() : value;
    }
    if (credential && !credentialData['email'] && !credentialData['username']) {
      throw new DomainError('user.invalid', 'a database user needs an email or a username', 'email');
    }
    let importedHash: string | undefined;

    return {
      async callScript(): Promise<void> {
        importedHash = customIdentity ? await custom.beforeUpdate(customIdentity, changes) : undefined;
      },

      async write(transaction: Transaction): Promise<void> {
        try {
          if (!(await users.update(userId, update, transaction))) throw notFound(userId);
          if (credential && (passwordHash || changes.email !== undefined || changes.username !== undefined)) {
            await users.updateIdentity(
              credential.id,
              { profileData: credentialData, ...(passwordHash ? { passwordHash } : {}) },
              transaction,
            );
          }
          if (customIdentity && importedHash) await users.updateIdentity(customIdentity.id, { passwordHash: importedHash }, transaction);
          // A proven address frees a sign-up's held password (a new one set here has already replaced it).
          if (changes.email_verified === true && credential) await users.releaseHeldPassword(userId, transaction);
        } catch (error) {
          if (error instanceof StoreConflict) {
            throw new DomainError('user.exists', 'another user of this connection has this email or username', 'email');
          }
          throw error;
        }
        // After the writes, so the link is issued against the new address and outlives this change.
        if (verifyAddress !== undefined) await accountMail.sendVerification(userId, verifyAddress, { transaction });
      },

      async committed(): Promise<void> {
        // Auth0's rule: a new password lifts the brute-force blocks, since guessing the old one is moot.
        if (changes.password !== undefined) await loginAttempts.unblock(userLoginSubjects(user, identities));
        if (changes.blocked === true && !user.blocked) {
          await revokeAccount(userId);
          await events.publish('user.blocked', userId);
        }
        await events.publish('user.updated', userId);
      },
    };
  }

  return {
    /** `options.holdPassword`: a sign-up's, see ProfileService.createDatabaseUser. */
    async create(input: CreateUserInput, callerScopes?: ReadonlySet<string>, options: { holdPassword?: boolean } = {}): Promise<Profile> {
      checkScopesGrantable(input.management_scopes, callerScopes);
      const connection = await connections.findByName(input.connection);
      if (!connection) throw new DomainError('connection.not_found', `connection "${input.connection}" does not exist`, 'connection');
      const traits = strategyTraits(connection.strategy);
      if (traits?.scriptedUsers) {
        const { management_scopes: managementScopes, ...scripted } = input;
        const userId = await custom.create(connection, scripted);
        // The legacy script knows nothing of Tessera's privileges: they are Tessera's own column.
        if (managementScopes?.length) {
          await users.update(userId, { columns: {}, management_scopes: allowedManagementScopes(managementScopes) });
        }
        await events.publish('user.created', userId);
        return this.get(userId);
      }
      if (!traits?.ownsCredentials) {
        throw new DomainError(
          'user.invalid',
          `users can only be created in database and custom connections; "${input.connection}" is ${connection.strategy}`,
          'connection',
        );
      }
      if (!input.password) throw new DomainError('user.invalid', 'password is required for a database connection', 'password');
      const profile = await profiles.createDatabaseUser({ ...input, password: input.password }, options);
      await events.publish('user.created', profile.user_id);
      return profile;
    },

    /** user.not_found for an unknown user; the takeover guard's refusal for a caller lacking the user's scopes. */
    async checkManageable(userId: string, callerScopes: ReadonlySet<string> | undefined): Promise<void> {
      const found = await users.findById(userId);
      if (!found) throw notFound(userId);
      checkUserManageable(found.user, callerScopes);
    },

    async get(userId: string): Promise<Profile> {
      const profile = await profiles.getProfile(userId);
      if (!profile) throw notFound(userId);
      return profile;
    },

    /** Offset pages as Auth0 returns them, or checkpoint pages that stay fast however deep. */
    async list(input: ListUsersInput): Promise<UserPage | CheckpointPage> {
      const query = withConnection(input.q ? parseUserQuery(input.q) : undefined, input.connection);
      if (input.from !== undefined || input.take !== undefined) {
        const take = input.take ?? DEFAULT_PER_PAGE;
        try {
          const { rows, next } = await searching(
            search.searchCheckpoint({ ...(query ? { query } : {}), ...(input.from ? { from: input.from } : {}), take }),
          );
          return { users: rows.map(({ user, identities }) => toProfile(user, identities)), ...(next ? { next } : {}) };
        } catch (error) {
          if (error instanceof InvalidCursorError) throw new DomainError('search.invalid_query', error.message, 'from');
          throw error;
        }
      }
      const page = input.page ?? 0;
      const perPage = input.per_page ?? DEFAULT_PER_PAGE;
      const { rows, total, totalEstimated } = await searching(
        search.searchPage({
          ...(query ? { query } : {}),
          ...(input.sort ? { sort: parseUserSort(input.sort) } : {}),
          page,
          perPage,
          includeTotals: input.include_totals === true,
        }),
      );
      return {
        users: rows.map(({ user, identities }) => toProfile(user, identities)),
        start: page * perPage,
        limit: perPage,
        length: rows.length,
        ...(total !== undefined ? { total } : {}),
        ...(totalEstimated ? { total_estimated: true as const } : {}),
      };
    },

    async getByEmail(email: string): Promise<Profile[]> {
      return (await users.findByEmail(email)).map(({ user, identities }) => toProfile(user, identities));
    },

    async update(userId: string, changes: UserChanges, callerScopes?: ReadonlySet<string>, options?: UpdateOptions): Promise<Profile> {
      const prepared = await prepare(await load(userId), changes, callerScopes, options);
      // Last before writing: a failing script then leaves the user as it was.
      await prepared.callScript();
      await users.transaction((transaction) => prepared.write(transaction));
      await prepared.committed();
      return this.get(userId);
    },

    /**
     * `update` for a change a ticket's use makes (server/accounts/ticket-routes.ts): the checks
     * and hashing now, outside any transaction; `write` makes the custom script's call and the
     * writes inside the caller's transaction (the ticket's redemption), so a refused ticket or a
     * failing script changes nothing and the link stays usable; `committed` once it commits.
     */
    async prepareUpdate(userId: string, changes: UserChanges): Promise<PreparedUpdate> {
      const prepared = await prepare(await load(userId), changes, undefined);
      return {
        async write(transaction) {
          await prepared.callScript();
          await prepared.write(transaction);
        },
        committed: prepared.committed,
      };
    },

    /** Lifts the brute-force blocks of every name the user logs in with, from every IP (Auth0's user-blocks). */
    async unblock(userId: string): Promise<{ unblocked: true }> {
      const { user, identities } = await load(userId);
      await loginAttempts.unblock(userLoginSubjects(user, identities));
      return { unblocked: true };
    },

    async remove(userId: string, callerScopes?: ReadonlySet<string>): Promise<{ deleted: true }> {
      const { user, identities } = await load(userId);
      checkUserManageable(user, callerScopes);
      await custom.beforeDelete(identities);
      if (!(await users.remove(userId))) throw notFound(userId);
      await revokeAccount(userId);
      await events.publish('user.deleted', userId);
      return { deleted: true };
    },

    /** Linking a user holding more than the caller into another, or another into them, would hand over their logins. */
    async link(primaryId: string, secondaryId: string, callerScopes?: ReadonlySet<string>) {
      await checkManageableById(primaryId, callerScopes);
      await checkManageableById(secondaryId, callerScopes, 'link_with');
      return linking.link(primaryId, secondaryId);
    },

    async unlink(primaryId: string, provider: string, externalId: string, callerScopes?: ReadonlySet<string>) {
      await checkManageableById(primaryId, callerScopes);
      return linking.unlink(primaryId, provider, externalId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
