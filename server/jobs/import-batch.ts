/**
 * What a batch of imported users does, decided from the connection's users they match (by
 * user_id, email or username): a user that matches nobody is inserted; one that matches a user
 * is a DUPLICATED_USER failure without upsert, an update with it; one whose keys point at two
 * different users, or whose username another user holds, fails. An update changes neither the
 * email nor the username (they are what found the user), and is refused, as users.update refuses
 * it, for a user holding management scopes the caller does not hold.
 */
import type { ExistingIdentity, ImportInsert, ImportUpdate } from '../../adapters/queries/users-import.js';
import { scopesNotHeld } from '../oidc/management-api.js';
import { primaryUserId } from '../profiles/profile.js';
import { databaseUserNames } from '../profiles/profile-service.js';
import type { ImportError, ImportedUser } from './import-user.js';

export interface BatchFailure {
  readonly position: number;
  readonly user: unknown;
  readonly errors: ImportError[];
}

export interface PlannedUpdate {
  readonly row: ImportUpdate;
  /** The import blocks a user who was not blocked: their sessions and grants end once it commits. */
  readonly blocks: boolean;
}

export interface BatchPlan {
  readonly inserts: Array<{ readonly row: ImportInsert; readonly position: number; readonly user: unknown }>;
  readonly updates: PlannedUpdate[];
  readonly failures: BatchFailure[];
}

export interface PlanOptions {
  readonly upsert: boolean;
  readonly callerScopes: ReadonlySet<string>;
  /** A new identity id, for a user the file gives no user_id. */
  readonly newExternalId: () => string;
}

const duplicated = (user: ImportedUser, message: string, path = ''): BatchFailure => ({
  position: user.position,
  user: user.shown,
  errors: [{ code: 'DUPLICATED_USER', message, path }],
});

function indexBy(rows: readonly ExistingIdentity[], key: (row: ExistingIdentity) => string | null): Map<string, ExistingIdentity> {
  const index = new Map<string, ExistingIdentity>();
  for (const row of rows) {
    const value = key(row);
    if (value !== null) index.set(value, row);
  }
  return index;
}

function newRow(user: ImportedUser, externalId: string): ImportInsert {
  const { fields, email, username } = user;
  return {
    id: primaryUserId('database', externalId),
    external_id: externalId,
    email,
    email_verified: fields.email_verified ?? false,
    username: username ?? null,
    ...databaseUserNames({ email, name: fields.name, nickname: fields.nickname }),
    given_name: fields.given_name ?? null,
    family_name: fields.family_name ?? null,
    picture: fields.picture ?? null,
    blocked: fields.blocked ?? false,
    user_metadata: fields.user_metadata ?? {},
    app_metadata: fields.app_metadata ?? {},
    profile_data: { email, ...(username ? { username } : {}) },
    password_hash: user.passwordHash ?? null,
  };
}

function updateRow(user: ImportedUser, existing: ExistingIdentity): ImportUpdate {
  const { fields } = user;
  return {
    id: existing.user_id,
    identity_id: existing.identity_id,
    email_verified: fields.email_verified ?? null,
    name: fields.name ?? null,
    nickname: fields.nickname ?? null,
    given_name: fields.given_name ?? null,
    family_name: fields.family_name ?? null,
    picture: fields.picture ?? null,
    blocked: fields.blocked ?? null,
    user_metadata: fields.user_metadata ?? null,
    app_metadata: fields.app_metadata ?? null,
    password_hash: user.passwordHash ?? null,
  };
}

export function planBatch(users: readonly ImportedUser[], existing: readonly ExistingIdentity[], options: PlanOptions): BatchPlan {
  const byExternalId = indexBy(existing, (row) => row.external_id);
  const byEmail = indexBy(existing, (row) => row.email);
  const byUsername = indexBy(existing, (row) => row.username);
  const plan: BatchPlan = { inserts: [], updates: [], failures: [] };
  for (const user of users) {
    const byId = user.externalId === undefined ? undefined : byExternalId.get(user.externalId);
    const sameEmail = byEmail.get(user.email);
    if (byId && sameEmail && byId.user_id !== sameEmail.user_id) {
      plan.failures.push(duplicated(user, 'The user_id and the email belong to two different users of this connection', 'email'));
      continue;
    }
    const found = byId ?? sameEmail;
    const sameUsername = user.username === undefined ? undefined : byUsername.get(user.username.toLowerCase());
    if (sameUsername && sameUsername.user_id !== found?.user_id) {
      plan.failures.push(duplicated(user, 'Another user of this connection has this username', 'username'));
      continue;
    }
    if (!found) {
      plan.inserts.push({ row: newRow(user, user.externalId ?? options.newExternalId()), position: user.position, user: user.shown });
      continue;
    }
    if (!options.upsert) {
      plan.failures.push(duplicated(user, 'The user already exists and upsert is false'));
      continue;
    }
    const missing = scopesNotHeld(found.management_scopes, options.callerScopes);
    if (missing.length > 0) {
      plan.failures.push({
        position: user.position,
        user: user.shown,
        errors: [
          {
            code: 'INSUFFICIENT_SCOPE',
            message: `The user holds management scopes this token does not hold (${missing.join(', ')})`,
            path: '',
          },
        ],
      });
      continue;
    }
    plan.updates.push({ row: updateRow(user, found), blocks: user.fields.blocked === true && !found.blocked });
  }
  return plan;
}
