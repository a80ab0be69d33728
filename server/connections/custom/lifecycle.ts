/**
 * What users.create, users.update and users.delete owe a custom connection's script: the legacy
 * database hears of each change first, and Tessera writes only once the script succeeded, so a
 * failing script leaves Tessera's user as it was.
 */
import { StoreConflict } from '../../../adapters/errors.js';
import type { ConnectionRecord, IdentityRecord, UserRecord } from '../../../adapters/queries/records.js';
import type { UserQueries } from '../../../adapters/queries/users.js';
import { DomainError } from '../../errors.js';
import { hashPassword } from '../../passwords.js';
import { rootColumns, upstreamIdentityId } from '../../profiles/connection-login.js';
import { isPrimaryIdentity } from '../../profiles/profile.js';
import type { CreateUserInput, UserChanges } from '../../users/user-schemas.js';
import { checkPasswordPolicy } from '../database-connection.js';
import { type LoadMapper, normalizeProfile } from '../normalize.js';
import { strategyTraits } from '../strategies.js';
import { type CustomOptions, customOptions } from './options.js';
import type { ScriptRunner } from './script.js';
import { scriptIdOf } from './strategy.js';

export interface CustomLifecycleDependencies {
  users: UserQueries;
  scripts: ScriptRunner;
  loadMapper: LoadMapper;
}

function checkPolicy(options: CustomOptions, password: string): void {
  checkPasswordPolicy(options, password);
}

function exists(message: string): DomainError {
  return new DomainError('user.exists', message, 'email');
}

/** The custom identity whose credentials are the user's own (not a linked one's). */
export function customCredential(user: UserRecord, identities: readonly IdentityRecord[]): IdentityRecord | undefined {
  return identities.find((identity) => strategyTraits(identity.provider)?.scriptedUsers && isPrimaryIdentity(user, identity));
}

function connectionOf(identity: IdentityRecord): ConnectionRecord {
  if (!identity.connection) throw new Error(`identity ${identity.id} was loaded without its connection`);
  return identity.connection;
}

export function createCustomLifecycle({ users, scripts, loadMapper }: CustomLifecycleDependencies) {
  return {
    /**
     * users.create: an email known here or to the script is CONFLICT; otherwise the script
     * creates the user and Tessera stores the profile it returned, as a first login would.
     * Returns the new user_id.
     */
    async create(connection: ConnectionRecord, input: CreateUserInput): Promise<string> {
      const options = customOptions(connection.options);
      const { connection: _connection, password, blocked, user_metadata: userMetadata, app_metadata: appMetadata, ...fields } = input;
      // The script's verify, changePassword and getUser find users by email.
      if (!input.email) throw new DomainError('user.invalid', 'email is required for a custom database connection', 'email');
      if (!password) throw new DomainError('user.invalid', 'password is required for a custom database connection', 'password');
      checkPolicy(options, password);
      const email = input.email.toLowerCase();
      if (await users.findCustomIdentity(connection.id, email)) throw exists('a user with this email already exists in this connection');
      if (await scripts.profile(connection, 'getUser', email)) throw exists('a user with this email already exists in the custom database');

      const created = await scripts.profile(connection, 'create', { ...fields, email, password });
      if (!created) throw new DomainError('auth.upstream_failed', 'the custom database script failed: create returned no profile');
      const profile = await normalizeProfile(
        { connection: { name: connection.name, strategy: 'custom', options }, attributes: created.attributes },
        loadMapper,
      );
      const externalId = upstreamIdentityId(connection, created.id);
      const userId = `custom|${externalId}`;
      try {
        await users.insertWithIdentity(
          {
            id: userId,
            ...rootColumns(profile, created.id),
            user_metadata: userMetadata ?? {},
            app_metadata: appMetadata ?? {},
            blocked: blocked ?? false,
          },
          {
            connectionId: connection.id,
            provider: 'custom',
            externalId,
            isSocial: false,
            profileData: { ...profile },
            passwordHash: options.import_users ? await hashPassword(password) : null,
          },
        );
      } catch (error) {
        if (error instanceof StoreConflict) throw exists(`user ${userId} already exists`);
        throw error;
      }
      return userId;
    },

    /**
     * users.update of a user whose own identity is custom: a new password goes to the script's
     * changePassword, `email_verified: true` to its verify. Returns the new local hash when the
     * user was imported (its password is Tessera's to check).
     */
    async beforeUpdate(identity: IdentityRecord, changes: UserChanges): Promise<string | undefined> {
      const connection = connectionOf(identity);
      const email = identity.profile_data['email'];
      if ((changes.password !== undefined || changes.email_verified === true) && typeof email !== 'string') {
        throw new DomainError('user.invalid', 'this custom database user has no email for the script to find it by', 'email');
      }
      if (changes.password !== undefined) {
        checkPolicy(customOptions(connection.options), changes.password);
        await scripts.call(connection, 'changePassword', email, changes.password);
      }
      if (changes.email_verified === true) await scripts.call(connection, 'verify', email);
      return changes.password !== undefined && identity.password_hash ? hashPassword(changes.password) : undefined;
    },

    /**
     * users.delete: each custom identity of the user, linked ones too, is deleted by its script
     * first; the first failure stops the deletion.
     */
    async beforeDelete(identities: readonly IdentityRecord[]): Promise<void> {
      for (const identity of identities.filter((candidate) => strategyTraits(candidate.provider)?.scriptedUsers)) {
        const connection = connectionOf(identity);
        await scripts.call(connection, 'delete', scriptIdOf(connection, identity.external_id));
      }
    },
  };
}

export type CustomLifecycle = ReturnType<typeof createCustomLifecycle>;
