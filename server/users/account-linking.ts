/**
 * Account linking: one user holds several identities. Linking moves every identity of the
 * secondary user under the primary, each keeping the attributes its user had so unlinking can
 * restore them; the primary's own attributes are never merged with the others'.
 * @see https://auth0.com/docs/manage-users/user-accounts/user-account-linking
 */
import { StoreConflict } from '../../adapters/errors.js';
import type { UserRecord } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { strategyTraits } from '../connections/strategies.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import { type Identity, isPrimaryIdentity, primaryUserId, toProfile } from '../profiles/profile.js';
import { userNotFound as notFound } from './user-not-found.js';
import { ROOT_COLUMNS } from './user-schemas.js';

export interface AccountLinkingDependencies {
  users: UserQueries;
  events: EventBus;
  revokeAccount: RevokeAccount;
}

/** A linked identity keeps the attributes its user had, so they can be restored on unlink. */
const SNAPSHOT_COLUMNS = [...ROOT_COLUMNS.filter((column) => column !== 'blocked')] as const;

function snapshot(user: UserRecord): Record<string, unknown> {
  return Object.fromEntries(SNAPSHOT_COLUMNS.flatMap((column) => (user[column] === null ? [] : [[column, user[column]]])));
}

function restoredColumns(profileData: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SNAPSHOT_COLUMNS.flatMap((column) => (column in profileData ? [[column, profileData[column]]] : [])));
}

export function createAccountLinking({ users, events, revokeAccount }: AccountLinkingDependencies) {
  async function identitiesOf(userId: string): Promise<Identity[]> {
    const found = await users.findById(userId);
    if (!found) throw notFound(userId);
    return toProfile(found.user, found.identities).identities;
  }

  /** Moves every identity of the secondary user under the primary; the secondary ceases to exist. */
  async function link(primaryId: string, secondaryId: string): Promise<Identity[]> {
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
  }

  /** Restores a linked identity as a user of its own, whose user_id is `<provider>|<id>`. */
  async function unlink(primaryId: string, provider: string, externalId: string): Promise<Identity[]> {
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
        await users.moveIdentity(
          identity.id,
          restoredId,
          strategyTraits(provider)?.ownsCredentials ? credentials : identity.profile_data,
          transaction,
        );
      });
    } catch (error) {
      if (error instanceof StoreConflict) throw new DomainError('user.exists', `user ${restoredId} already exists`, 'user_id');
      throw error;
    }
    await events.publish('user.unlinked', primaryId);
    await events.publish('user.created', restoredId);
    return identitiesOf(primaryId);
  }

  return { link, unlink };
}
