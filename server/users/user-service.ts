/**
 * The user operations behind users.* and me.*: create, read, update, delete, link and unlink,
 * each atomic, each publishing its event after it commits.
 */
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { IdentityRecord, UserRecord } from '../../adapters/queries/records.js';
import { InvalidCursorError, SearchTimeoutError, type UserSearchQueries } from '../../adapters/queries/user-search.js';
import type { MetadataPatch, UserQueries, UserUpdate } from '../../adapters/queries/users.js';
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { userLoginSubjects } from '../abuse/login-subjects.js';
import { customCredential, type CustomLifecycle } from '../connections/custom/lifecycle.js';
import { checkPasswordPolicy, databaseOptions } from '../connections/database-connection.js';
import { strategyTraits } from '../connections/strategies.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import { hashPassword } from '../passwords.js';
import { isPrimaryIdentity, primaryUserId, toProfile, type Identity, type Profile } from '../profiles/profile.js';
import type { ProfileService } from '../profiles/profile-service.js';
import { checkMergedMetadata } from './metadata-limits.js';
import { parseUserQuery, parseUserSort } from './user-query.js';
import { ROOT_COLUMNS, type CreateUserInput, type ListUsersInput, type UserChanges } from './user-schemas.js';

const DEFAULT_PER_PAGE = 50;

export interface UserPage {
  users: Profile[];
  start: number;
  limit: number;
  length: number;
  total?: number;
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
}

function notFound(userId: string): DomainError {
  return new DomainError('user.not_found', `user ${userId} does not exist`, 'id');
}

function splitMetadata(patch: Record<string, unknown> | undefined | null): MetadataPatch | undefined {
  if (!patch) return undefined;
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/** A linked identity keeps the attributes its user had, so they can be restored on unlink. */
const SNAPSHOT_COLUMNS = [...ROOT_COLUMNS.filter((column) => column !== 'blocked')] as const;

function snapshot(user: UserRecord): Record<string, unknown> {
  return Object.fromEntries(SNAPSHOT_COLUMNS.flatMap((column) => (user[column] === null ? [] : [[column, user[column]]])));
}

function restoredColumns(profileData: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SNAPSHOT_COLUMNS.flatMap((column) => (column in profileData ? [[column, profileData[column]]] : [])));
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

export function createUserService({ users, search, connections, profiles, events, revokeAccount, custom, loginAttempts }: UserServiceDependencies) {
  async function load(userId: string) {
    const found = await users.findById(userId);
    if (!found) throw notFound(userId);
    return found;
  }

  async function identitiesOf(userId: string): Promise<Identity[]> {
    const found = await load(userId);
    return toProfile(found.user, found.identities).identities;
  }

  /** The database identity whose credentials follow the root email, username and password. */
  function credentialIdentity(user: UserRecord, identities: IdentityRecord[]): IdentityRecord | undefined {
    return identities.find((identity) => strategyTraits(identity.provider)?.ownsCredentials && isPrimaryIdentity(user, identity));
  }

  return {
    async create(input: CreateUserInput): Promise<Profile> {
      const connection = await connections.findByName(input.connection);
      if (!connection) throw new DomainError('connection.not_found', `connection "${input.connection}" does not exist`, 'connection');
      const traits = strategyTraits(connection.strategy);
      if (traits?.scriptedUsers) {
        const userId = await custom.create(connection, input);
        await events.publish('user.created', userId);
        return this.get(userId);
      }
      if (!traits?.ownsCredentials) {
        throw new DomainError('user.invalid', `users can only be created in database and custom connections; "${input.connection}" is ${connection.strategy}`, 'connection');
      }
      if (!input.password) throw new DomainError('user.invalid', 'password is required for a database connection', 'password');
      const profile = await profiles.createDatabaseUser({ ...input, password: input.password });
      await events.publish('user.created', profile.user_id);
      return profile;
    },

    async get(userId: string): Promise<Profile> {
      const profile = await profiles.getProfile(userId);
      if (!profile) throw notFound(userId);
      return profile;
    },

    /** Offset pages as Auth0 returns them, or checkpoint pages that stay fast however deep. */
    async list(input: ListUsersInput): Promise<UserPage | CheckpointPage> {
      const query = input.q ? parseUserQuery(input.q) : undefined;
      if (input.from !== undefined || input.take !== undefined) {
        const take = input.take ?? DEFAULT_PER_PAGE;
        try {
          const { rows, next } = await searching(search.searchCheckpoint({ ...(query ? { query } : {}), ...(input.from ? { from: input.from } : {}), take }));
          return { users: rows.map(({ user, identities }) => toProfile(user, identities)), ...(next ? { next } : {}) };
        } catch (error) {
          if (error instanceof InvalidCursorError) throw new DomainError('search.invalid_query', error.message, 'from');
          throw error;
        }
      }
      const page = input.page ?? 0;
      const perPage = input.per_page ?? DEFAULT_PER_PAGE;
      const { rows, total } = await searching(search.searchPage({
        ...(query ? { query } : {}),
        ...(input.sort ? { sort: parseUserSort(input.sort) } : {}),
        page,
        perPage,
        includeTotals: input.include_totals === true,
      }));
      return {
        users: rows.map(({ user, identities }) => toProfile(user, identities)),
        start: page * perPage,
        limit: perPage,
        length: rows.length,
        ...(total !== undefined ? { total } : {}),
      };
    },

    async getByEmail(email: string): Promise<Profile[]> {
      return (await users.findByEmail(email)).map(({ user, identities }) => toProfile(user, identities));
    },

    async update(userId: string, changes: UserChanges): Promise<Profile> {
      const { user, identities } = await load(userId);
      checkMergedMetadata('user_metadata', user.user_metadata as Record<string, unknown>, changes.user_metadata);
      checkMergedMetadata('app_metadata', user.app_metadata as Record<string, unknown>, changes.app_metadata);
      const credential = credentialIdentity(user, identities);
      const customIdentity = customCredential(user, identities);
      const columns = Object.fromEntries(ROOT_COLUMNS.flatMap((column) => (changes[column] === undefined ? [] : [[column, changes[column]]])));
      const update: UserUpdate = {
        columns,
        user_metadata: splitMetadata(changes.user_metadata),
        app_metadata: splitMetadata(changes.app_metadata),
      };

      let passwordHash: string | undefined;
      // A custom user's password belongs to its script (and to the local hash once imported): beforeUpdate below.
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
      if (typeof columns['email'] === 'string') columns['email'] = columns['email'].toLowerCase();
      // Last before writing: a failing script then leaves the user as it was.
      const importedHash = customIdentity ? await custom.beforeUpdate(customIdentity, changes) : undefined;

      try {
        await users.transaction(async (transaction) => {
          if (!(await users.update(userId, update, transaction))) throw notFound(userId);
          if (credential && (passwordHash || changes.email !== undefined || changes.username !== undefined)) {
            await users.updateIdentity(credential.id, { profileData: credentialData, ...(passwordHash ? { passwordHash } : {}) }, transaction);
          }
          if (customIdentity && importedHash) await users.updateIdentity(customIdentity.id, { passwordHash: importedHash }, transaction);
        });
      } catch (error) {
        if (error instanceof StoreConflict) {
          throw new DomainError('user.exists', 'another user of this connection has this email or username', 'email');
        }
        throw error;
      }

      // Auth0's rule: a new password lifts the brute-force blocks, since guessing the old one is moot.
      if (changes.password !== undefined) await loginAttempts.unblock(userLoginSubjects(user, identities));
      if (changes.blocked === true && !user.blocked) {
        await revokeAccount(userId);
        await events.publish('user.blocked', userId);
      }
      await events.publish('user.updated', userId);
      return this.get(userId);
    },

    /** Lifts the brute-force blocks of every name the user logs in with, from every IP (Auth0's user-blocks). */
    async unblock(userId: string): Promise<{ unblocked: true }> {
      const { user, identities } = await load(userId);
      await loginAttempts.unblock(userLoginSubjects(user, identities));
      return { unblocked: true };
    },

    async remove(userId: string): Promise<{ deleted: true }> {
      await custom.beforeDelete((await load(userId)).identities);
      if (!(await users.remove(userId))) throw notFound(userId);
      await revokeAccount(userId);
      await events.publish('user.deleted', userId);
      return { deleted: true };
    },

    /** Moves every identity of the secondary user under the primary; the secondary ceases to exist. */
    async link(primaryId: string, secondaryId: string): Promise<Identity[]> {
      if (primaryId === secondaryId) throw new DomainError('user.invalid', 'a user cannot be linked with itself', 'link_with');
      await users.transaction(async (transaction) => {
        const locked = await users.lock([primaryId, secondaryId], transaction);
        if (!locked.includes(primaryId)) throw notFound(primaryId);
        if (!locked.includes(secondaryId)) throw new DomainError('user.not_found', `user ${secondaryId} does not exist`, 'link_with');
        const secondary = await users.findById(secondaryId, transaction);
        if (!secondary) throw notFound(secondaryId);
        for (const identity of secondary.identities) {
          const data = isPrimaryIdentity(secondary.user, identity)
            ? { ...identity.profile_data, ...snapshot(secondary.user) }
            : identity.profile_data;
          await users.moveIdentity(identity.id, primaryId, data, transaction);
        }
        await users.remove(secondaryId, transaction);
      });
      await revokeAccount(secondaryId);
      await events.publish('user.linked', primaryId);
      await events.publish('user.deleted', secondaryId);
      return identitiesOf(primaryId);
    },

    /** Restores a linked identity as a user of its own, whose user_id is `<provider>|<id>`. */
    async unlink(primaryId: string, provider: string, externalId: string): Promise<Identity[]> {
      const restoredId = primaryUserId(provider, externalId);
      try {
        await users.transaction(async (transaction) => {
          if (!(await users.lock([primaryId], transaction)).length) throw notFound(primaryId);
          const primary = await users.findById(primaryId, transaction);
          const identity = primary?.identities.find((candidate) => candidate.provider === provider && candidate.external_id === externalId);
          if (!primary || !identity) {
            throw new DomainError('user.not_found', `user ${primaryId} has no identity ${restoredId}`, 'user_id');
          }
          if (isPrimaryIdentity(primary.user, identity)) {
            throw new DomainError('user.invalid', 'the primary identity cannot be unlinked', 'user_id');
          }
          await users.insert({ id: restoredId, ...restoredColumns(identity.profile_data) }, transaction);
          const credentials = Object.fromEntries(
            ['email', 'username'].flatMap((key) => (identity.profile_data[key] === undefined ? [] : [[key, identity.profile_data[key]]])),
          );
          await users.moveIdentity(identity.id, restoredId, strategyTraits(provider)?.ownsCredentials ? credentials : identity.profile_data, transaction);
        });
      } catch (error) {
        if (error instanceof StoreConflict) throw new DomainError('user.exists', `user ${restoredId} already exists`, 'user_id');
        throw error;
      }
      await events.publish('user.unlinked', primaryId);
      await events.publish('user.created', restoredId);
      return identitiesOf(primaryId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
