/**
 * What a signed-in person does to their own account from the account page (me.*): read what the
 * page offers them, edit their profile within the metadata fields the operator allows, change
 * their password (the current one proven, guesses counted as the login form counts them),
 * ask to move to a new email (nothing changes until the link sent there is followed), delete
 * their account when the operator allows it, and name the application a return address
 * belongs to. Every write goes through the user service, so its policies, scripts and events apply.
 */
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { ConnectionRecord, IdentityRecord, UserRecord } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { EmailChangeLimit } from '../abuse/email-change-limit.js';
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { loginSubject } from '../abuse/login-subjects.js';
import type { ClientMetadata } from '../clients/client-store.js';
import { isReservedClient } from '../clients/reserved-clients.js';
import type { AccountMetadataField, AccountSettings } from '../config.js';
import { scriptIdOf } from '../connections/custom/strategy.js';
import { databaseCredential } from '../connections/database-connection.js';
import { type Strategies, strategyTraits } from '../connections/strategies.js';
import { DomainError, isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { verifyAgainstNothing, verifyPassword } from '../passwords.js';
import type { Profile } from '../profiles/profile.js';
import { userNotFound } from '../users/user-not-found.js';
import type { UserChanges } from '../users/user-schemas.js';
import type { UserService } from '../users/user-service.js';
import type { AccountMail } from './account-mail.js';
import { ownPasswordIdentity, passwordRulesOf } from './password-policy.js';
import type { AccountPageSettings, ChangeEmailInput, ChangePasswordInput } from './self-service-schemas.js';

export interface SelfServiceDependencies {
  users: Pick<UserQueries, 'findById'>;
  connections: Pick<ConnectionQueries, 'list'>;
  strategies: Strategies;
  loginAttempts: LoginAttempts;
  emailChanges: EmailChangeLimit;
  userService: Pick<UserService, 'update' | 'remove'>;
  accountMail: Pick<AccountMail, 'sendEmailChange' | 'sendPasswordChanged'>;
  /** The ids of the clients that registered exactly this redirect URI, and a client's metadata. */
  clients: { withRedirectUri(url: string): Promise<string[]>; find(clientId: string): Promise<ClientMetadata | undefined> };
  settings: Pick<AccountSettings, 'metadataFields' | 'selfDeletion'>;
  /** Whether browsers take passkeys for this issuer (passkeysPossible), so the page offers to add one. */
  passkeys: boolean;
  /** Where the change_email link's page sends the person back to: the account page. */
  accountPageUrl: string;
  /** The account page's client, named in the messages it causes. */
  accountClientId: string;
  logger: Logger;
}

function connectionOf(identity: IdentityRecord): ConnectionRecord {
  if (!identity.connection) throw new Error(`identity ${identity.id} was loaded without its connection`);
  return identity.connection;
}

/** The name the login form counts this identity's attempts under: the one its owner types. */
function loginNameOf(user: UserRecord, identity: IdentityRecord): string | undefined {
  const data = identity.profile_data as Record<string, unknown>;
  const names = [data['email'], ...(strategyTraits(identity.provider)?.scriptedUsers ? [] : [data['username'], user.email, user.username])];
  return names.find((name): name is string => typeof name === 'string' && name.length > 0);
}

const wrongCurrentPassword = () => new DomainError('auth.invalid_credentials', 'The current password is not right.', 'current_password');

/**
 * With ACCOUNT_METADATA_FIELDS set, a person's user_metadata changes only those keys, each
 * with its type (null removes one); unset, me.update stays as open as it always was.
 */
export function checkSelfMetadata(fields: readonly AccountMetadataField[], patch: Record<string, unknown> | undefined): void {
  if (fields.length === 0 || !patch) return;
  const types = new Map(fields.map((field) => [field.key, field.type]));
  for (const [key, value] of Object.entries(patch)) {
    const type = types.get(key);
    if (!type) {
      const allowed = [...types.keys()].join(', ');
      throw new DomainError(
        'user.invalid',
        `user_metadata.${key} cannot be changed here; the fields you can change are ${allowed}`,
        `user_metadata.${key}`,
      );
    }
    const fits = value === null || (typeof value === type && (type !== 'number' || Number.isFinite(value)));
    if (!fits) throw new DomainError('user.invalid', `user_metadata.${key} must be a ${type}`, `user_metadata.${key}`);
  }
}

export function createSelfService(deps: SelfServiceDependencies) {
  const { users, connections, strategies, loginAttempts, userService, accountMail, clients, settings } = deps;
  const log = deps.logger.child({ component: 'self-service' });

  async function load(userId: string) {
    const found = await users.findById(userId);
    if (!found) throw userNotFound(userId);
    return found;
  }

  /** Throws wrongCurrentPassword() unless `password` is this identity's: its hash here, or its connection's login script. */
  async function checkCurrentPassword(userId: string, identity: IdentityRecord, login: string, password: string): Promise<void> {
    const connection = connectionOf(identity);
    if (!strategyTraits(identity.provider)?.scriptedUsers) {
      const hash = identity.password_hash;
      if (!(await (hash ? verifyPassword(hash, password) : verifyAgainstNothing(password)))) throw wrongCurrentPassword();
      return;
    }
    const strategy = strategies.get(connection.strategy);
    if (strategy?.kind !== 'credentials') throw new Error(`connection ${connection.name} takes no password`);
    try {
      const upstream = await strategy.authenticate(connection, login, password);
      // The script found someone by this email: it must be this identity, not whoever holds the address upstream now.
      const same = upstream.storedUserId === userId || upstream.id === scriptIdOf(connection, identity.external_id);
      if (!same) throw wrongCurrentPassword();
    } catch (error) {
      if (isDomainError(error, 'auth.invalid_credentials')) throw wrongCurrentPassword();
      throw error;
    }
  }

  return {
    async settings(userId: string): Promise<AccountPageSettings> {
      const [found, all] = await Promise.all([load(userId), connections.list()]);
      const held = new Set(found.identities.map((candidate) => candidate.connection_id));
      return {
        metadata_fields: settings.metadataFields.map(({ key, type }) => ({ key, type })),
        self_deletion: settings.selfDeletion,
        password: passwordRulesOf(found) ?? null,
        connections: all
          .filter((connection) => !held.has(connection.id))
          .map(({ name, strategy }) => ({ name, strategy }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        passkeys: deps.passkeys,
      };
    },

    async update(userId: string, changes: UserChanges): Promise<Profile> {
      checkSelfMetadata(settings.metadataFields, changes.user_metadata);
      return userService.update(userId, changes);
    },

    /**
     * The current password is counted as a login is: under the name the person logs in with,
     * from this address, so a stolen token cannot guess it any faster than the form allows,
     * and a block either way holds for both.
     */
    async changePassword(userId: string, input: ChangePasswordInput, ip: string): Promise<{ changed: true }> {
      const { user, identities } = await load(userId);
      const identity = ownPasswordIdentity(user, identities);
      const login = identity && loginNameOf(user, identity);
      if (!identity || !login) {
        throw new DomainError('user.invalid', 'this account has no password here: it signs in through another service', 'current_password');
      }
      const attempt = await loginAttempts.begin(loginSubject(identity.connection_id, login), ip);
      try {
        await checkCurrentPassword(userId, identity, login, input.current_password);
      } catch (error) {
        if (!isDomainError(error, 'auth.invalid_credentials')) await attempt.inconclusive();
        else if (await attempt.failed())
          log.warn(
            { connection: connectionOf(identity).name, ip },
            'password change blocked for this IP after too many wrong current passwords',
          );
        throw error;
      }
      await attempt.succeeded();
      try {
        await userService.update(userId, { password: input.new_password });
      } catch (error) {
        if (isDomainError(error, 'password.too_weak')) throw new DomainError(error.code, error.message, 'new_password');
        throw error;
      }
      if (user.email) await accountMail.sendPasswordChanged(userId, user.email, { clientId: deps.accountClientId });
      return { changed: true };
    },

    /**
     * A taken address is not refused here: that would tell a signed-in person which addresses
     * have accounts. The link goes to the address either way, and only its holder can follow it.
     */
    async changeEmail(userId: string, input: ChangeEmailInput): Promise<{ pending_email: string }> {
      const { user, identities } = await load(userId);
      if (!databaseCredential(user, identities)) {
        throw new DomainError(
          'user.invalid',
          'the email of this account comes from the service it signs in with: change it there',
          'email',
        );
      }
      const email = input.email.toLowerCase();
      if (email === user.email?.toLowerCase()) throw new DomainError('user.invalid', 'this is already the email of this account', 'email');
      await deps.emailChanges.take(userId);
      await accountMail.sendEmailChange(userId, email, { clientId: deps.accountClientId, resultUrl: deps.accountPageUrl });
      return { pending_email: email };
    },

    async remove(userId: string): Promise<{ deleted: true }> {
      if (!settings.selfDeletion) {
        throw new DomainError('account.deletion_disabled', 'deleting your own account is not allowed here: ask an administrator');
      }
      return userService.remove(userId);
    },

    /**
     * `/account?return_to=`: only an http(s) address an application registered, exactly, so the
     * page's "Back to" link can take nobody anywhere else. Tessera's own clients are no application to go back to.
     */
    async returnTo(url: string): Promise<{ url: string; client_name: string }> {
      const protocol = URL.parse(url)?.protocol;
      if (protocol === 'http:' || protocol === 'https:') {
        for (const clientId of await clients.withRedirectUri(url)) {
          if (isReservedClient(clientId)) continue;
          const client = await clients.find(clientId);
          if (client) return { url, client_name: typeof client.client_name === 'string' ? client.client_name : clientId };
        }
      }
      throw new DomainError('input.invalid', 'this address is not a registered redirect URI of any application', 'url');
    },
  };
}

export type SelfService = ReturnType<typeof createSelfService>;
