/**
 * A login through an upstream connection, persisted: the upstream's user is normalized, then
 * found by its identity or created as `<provider>|<connection>|<id>`. docs/contract.md's profile
 * rules hold here: the root attributes come from the first identity and are refreshed from it
 * at each login through it; a linked identity's attributes are refreshed in its own
 * profileData and never merged into the root, and its login signs in the primary user.
 */
import { StoreConflict } from '../../adapters/errors.js';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import type { Transaction } from '../../adapters/queries/transaction.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { ConnectionStrategy } from '../connections/connection-schemas.js';
import type { IdpTokensSealer } from '../connections/idp-tokens.js';
import {
  type LoadMapper,
  type MappingOptions,
  type NormalizedProfile,
  normalizeProfile,
  PROFILE_FIELDS,
} from '../connections/normalize.js';
import type { UpstreamUser } from '../connections/strategy.js';
import type { EventBus } from '../events/event-bus.js';
import { hashPassword } from '../passwords.js';
import { isPrimaryIdentity, primaryUserId } from './profile.js';

export interface ConnectionLoginDependencies {
  users: UserQueries;
  events: EventBus;
  loadMapper: LoadMapper;
  idpTokens: IdpTokensSealer;
}

export interface ConnectionLoginResult {
  /** The user signed in: the primary, when the identity is a linked one. */
  userId: string;
  created: boolean;
}

/** The identity's `user_id`: the connection's name keeps two upstreams' ids apart, as Auth0's enterprise ids do. */
export function upstreamIdentityId(connection: ConnectionRecord, upstreamId: string): string {
  return `${connection.name}|${upstreamId}`;
}

/** Every root attribute a login sets, absent ones cleared: the profile is the upstream's, as of this login. */
export function rootColumns(profile: NormalizedProfile, fallbackName: string): Record<string, unknown> {
  const columns: Record<string, unknown> = Object.fromEntries(
    PROFILE_FIELDS.map((field) => [field, profile[field] ?? (field === 'email_verified' || field === 'phone_verified' ? false : null)]),
  );
  columns['name'] = profile.name ?? profile.email ?? profile.nickname ?? fallbackName;
  columns['nickname'] = profile.nickname ?? profile.email?.split('@')[0] ?? profile.username ?? null;
  return columns;
}

function strategyOf(connection: ConnectionRecord): ConnectionStrategy {
  return connection.strategy as ConnectionStrategy;
}

export function createConnectionLogin({ users, events, loadMapper, idpTokens }: ConnectionLoginDependencies) {
  async function persist(
    connection: ConnectionRecord,
    upstream: UpstreamUser,
    profile: NormalizedProfile,
    passwordHash: string | undefined,
    transaction: Transaction,
  ): Promise<ConnectionLoginResult> {
    const provider = strategyOf(connection);
    const externalId = upstreamIdentityId(connection, upstream.id);
    const sealedTokens = upstream.tokens ? idpTokens.seal(connection.id, externalId, upstream.tokens) : undefined;
    const profileData = { ...profile };
    const existing = await users.findIdentityForUpdate(connection.id, externalId, transaction);

    if (!existing) {
      const userId = primaryUserId(provider, externalId);
      await users.insert({ id: userId, ...rootColumns(profile, upstream.id) }, transaction);
      await users.insertIdentity(
        userId,
        {
          connectionId: connection.id,
          provider,
          externalId,
          isSocial: (connection.options as { is_social?: boolean }).is_social === true,
          profileData,
          passwordHash: passwordHash ?? null,
          idpTokens: sealedTokens ?? null,
        },
        transaction,
      );
      return { userId, created: true };
    }

    const owner = await users.findById(existing.user_id, transaction);
    if (!owner) throw new Error(`identity ${existing.id} belongs to no user`);
    if (isPrimaryIdentity(owner.user, existing)) {
      await users.update(owner.user.id, { columns: rootColumns(profile, upstream.id) }, transaction);
    }
    await users.updateIdentity(
      existing.id,
      { profileData, ...(passwordHash ? { passwordHash } : {}), ...(sealedTokens ? { idpTokens: sealedTokens } : {}) },
      transaction,
    );
    return { userId: owner.user.id, created: false };
  }

  return {
    /**
     * Normalizes first, so an invalid mapping fails before anything is written; then one
     * transaction, then one event. Two first logins racing on one identity: the loser retries
     * and finds the winner's user.
     */
    async login(connection: ConnectionRecord, upstream: UpstreamUser): Promise<ConnectionLoginResult> {
      // Tessera's own user (or one imported): the upstream was not asked and said nothing new.
      if (upstream.storedUserId) return { userId: upstream.storedUserId, created: false };
      const profile = await normalizeProfile(
        {
          connection: { name: connection.name, strategy: strategyOf(connection), options: connection.options as MappingOptions },
          attributes: upstream.attributes,
        },
        loadMapper,
      );
      const passwordHash = upstream.importPassword ? await hashPassword(upstream.importPassword) : undefined;
      let result: ConnectionLoginResult;
      try {
        result = await users.transaction((transaction) => persist(connection, upstream, profile, passwordHash, transaction));
      } catch (error) {
        if (!(error instanceof StoreConflict)) throw error;
        result = await users.transaction((transaction) => persist(connection, upstream, profile, passwordHash, transaction));
      }
      await events.publish(result.created ? 'user.created' : 'user.updated', result.userId);
      return result;
    },
  };
}

export type ConnectionLogin = ReturnType<typeof createConnectionLogin>;
