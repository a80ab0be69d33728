/**
 * The user profile of docs/contract.md, defined once: the zod schema is the source, the type comes
 * from it, and toProfile turns stored rows into it.
 */
import { z } from 'zod';
import type { IdentityRecord, UserRecord } from '../../adapters/queries/records.js';

export const identitySchema = z.object({
  connection: z.string(),
  provider: z.string(),
  user_id: z.string(),
  isSocial: z.boolean(),
  profileData: z.record(z.string(), z.unknown()).optional(),
  access_token: z.string().optional(),
  refresh_token: z.string().optional(),
});

export const profileSchema = z.object({
  user_id: z.string(),
  email: z.string().optional(),
  email_verified: z.boolean(),
  username: z.string().optional(),
  phone_number: z.string().optional(),
  phone_verified: z.boolean(),
  name: z.string().optional(),
  nickname: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  picture: z.string().optional(),
  locale: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
  identities: z.array(identitySchema),
  user_metadata: z.record(z.string(), z.unknown()),
  app_metadata: z.record(z.string(), z.unknown()),
  last_login: z.string().optional(),
  last_ip: z.string().optional(),
  logins_count: z.number().int(),
  blocked: z.boolean(),
  /** The management API scopes the user holds: shown to management callers only, never in tokens' claims, userinfo or rules. */
  management_scopes: z.array(z.string()),
});

export type Identity = z.infer<typeof identitySchema>;
export type Profile = z.infer<typeof profileSchema>;

/** Splits `<provider>|<id>` at the first bar, as Auth0 does. */
export function parseUserId(userId: string): { provider: string; id: string } | undefined {
  const bar = userId.indexOf('|');
  if (bar <= 0 || bar === userId.length - 1) return undefined;
  return { provider: userId.slice(0, bar), id: userId.slice(bar + 1) };
}

const optional = (value: string | null) => value ?? undefined;

function toIdentity(row: IdentityRecord, isPrimary: boolean): Identity {
  return {
    connection: row.connection?.name ?? '',
    provider: row.provider,
    user_id: row.external_id,
    isSocial: row.is_social,
    // The primary identity's attributes are the root's; only linked ones carry their own.
    ...(isPrimary ? {} : { profileData: row.profile_data }),
  };
}

/** A user's user_id: `<provider>|<id>` of the identity it was created with (or restored from by unlink). */
export function primaryUserId(provider: string, externalId: string): string {
  return `${provider}|${externalId}`;
}

/** The identity the user was created with, whose `<provider>|<id>` is the user's user_id. */
export function isPrimaryIdentity(user: { id: string }, identity: { provider: string; external_id: string }): boolean {
  return primaryUserId(identity.provider, identity.external_id) === user.id;
}

/** The primary identity first, then linked ones. */
export function toProfile(user: UserRecord, identities: readonly IdentityRecord[]): Profile {
  const ordered = [...identities].sort(
    (a, b) => Number(isPrimaryIdentity(user, b)) - Number(isPrimaryIdentity(user, a)) || Number(a.id) - Number(b.id),
  );
  return {
    user_id: user.id,
    email: optional(user.email),
    email_verified: user.email_verified,
    username: optional(user.username),
    phone_number: optional(user.phone_number),
    phone_verified: user.phone_verified,
    name: optional(user.name),
    nickname: optional(user.nickname),
    given_name: optional(user.given_name),
    family_name: optional(user.family_name),
    picture: optional(user.picture),
    locale: optional(user.locale),
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    identities: ordered.map((row, index) => toIdentity(row, index === 0)),
    user_metadata: user.user_metadata,
    app_metadata: user.app_metadata,
    last_login: user.last_login?.toISOString(),
    last_ip: optional(user.last_ip),
    logins_count: user.logins_count,
    blocked: user.blocked,
    management_scopes: user.management_scopes,
  };
}

/** The profile as the user themselves, a login rule or a SAML service provider may see it: without the operator's privileges. */
export function withoutManagementScopes<T extends Partial<Profile>>(profile: T): Omit<T, 'management_scopes'> {
  const { management_scopes: _privileges, ...rest } = profile;
  return rest;
}
