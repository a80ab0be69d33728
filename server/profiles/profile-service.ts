/**
 * Profile reads and the writes shared by every entry point (OIDC login, CLI, management API):
 * creating a database user, loading a profile, recording a login.
 */
import { randomBytes } from 'node:crypto';
import type { ProfileCache } from '../../adapters/cache/profile-cache.js';
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { UserWithIdentities } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { checkPasswordPolicy, databaseOptions } from '../connections/database-connection.js';
import { strategyTraits } from '../connections/strategies.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { allowedManagementScopes } from '../oidc/management-api.js';
import { hashPassword } from '../passwords.js';
import type { CreateUserInput } from '../users/user-schemas.js';
import { type Profile, primaryUserId, toProfile } from './profile.js';

export type NewDatabaseUser = CreateUserInput & { password: string };

/** A database user's name and nickname when none is given: the email, else the username, and the email's local part. */
export function databaseUserNames(user: {
  email?: string | undefined;
  username?: string | undefined;
  name?: string | undefined;
  nickname?: string | undefined;
}) {
  return {
    name: user.name ?? user.email ?? user.username ?? null,
    nickname: user.nickname ?? (user.email ? user.email.split('@')[0] : user.username) ?? null,
  };
}

export function newIdentityId(): string {
  return randomBytes(12).toString('hex');
}

export function createProfileService(users: UserQueries, connections: ConnectionQueries, events: EventBus, cache: ProfileCache<Profile>) {
  const profileOf = (found: UserWithIdentities | undefined) => (found ? toProfile(found.user, found.identities) : undefined);

  async function loadProfile(userId: string): Promise<Profile | undefined> {
    return profileOf(await users.findById(userId));
  }

  return {
    /** Read through the cache: a miss costs the one query of findById. */
    getProfile(userId: string): Promise<Profile | undefined> {
      return cache.read(userId, () => loadProfile(userId));
    },

    /**
     * `holdPassword`: a sign-up's password is held apart until the address is verified
     * (users.releaseHeldPassword), so the pair cannot log in before, as a taken address's cannot.
     */
    async createDatabaseUser(input: NewDatabaseUser, { holdPassword = false }: { holdPassword?: boolean } = {}): Promise<Profile> {
      const connection = await connections.findByName(input.connection);
      if (!connection) throw new DomainError('connection.not_found', `connection "${input.connection}" does not exist`, 'connection');
      if (!strategyTraits(connection.strategy)?.ownsCredentials) {
        throw new DomainError('user.invalid', `connection "${input.connection}" is not a database connection`, 'connection');
      }
      const options = databaseOptions(connection);
      if (!input.email && !input.username) throw new DomainError('user.invalid', 'email or username is required', 'email');
      if (options.requires_username && !input.username) throw new DomainError('user.invalid', 'username is required', 'username');
      checkPasswordPolicy(options, input.password);

      const passwordHash = await hashPassword(input.password);
      const externalId = newIdentityId();
      const userId = primaryUserId('database', externalId);
      const email = input.email?.toLowerCase();
      try {
        await users.insertWithIdentity(
          {
            id: userId,
            email: email ?? null,
            email_verified: input.email_verified ?? false,
            username: input.username ?? null,
            phone_number: input.phone_number ?? null,
            phone_verified: input.phone_verified ?? false,
            ...databaseUserNames({ ...input, email }),
            given_name: input.given_name ?? null,
            family_name: input.family_name ?? null,
            picture: input.picture ?? null,
            locale: input.locale ?? null,
            user_metadata: input.user_metadata ?? {},
            app_metadata: input.app_metadata ?? {},
            blocked: input.blocked ?? false,
            management_scopes: allowedManagementScopes(input.management_scopes),
          },
          {
            connectionId: connection.id,
            provider: 'database',
            externalId,
            isSocial: false,
            profileData: { ...(email ? { email } : {}), ...(input.username ? { username: input.username } : {}) },
            passwordHash: holdPassword ? null : passwordHash,
          },
          holdPassword ? passwordHash : undefined,
        );
      } catch (error) {
        if (error instanceof StoreConflict) {
          throw new DomainError('user.exists', 'a user with this email or username already exists in this connection');
        }
        throw error;
      }
      const profile = await loadProfile(userId);
      if (!profile) throw new Error(`user ${userId} vanished after creation`);
      return profile;
    },

    /**
     * Counts the login and keeps the profile it leaves in the cache: the provider reads it again
     * for the tokens this login is about to get, which would otherwise cost a statement of its own.
     */
    async recordLogin(userId: string, ip: string | undefined): Promise<void> {
      const before = await cache.versionOf(userId);
      const recorded = profileOf(await users.recordLogin(userId, ip));
      await events.publish('user.login', userId);
      if (recorded) await cache.refill(userId, recorded, before);
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
