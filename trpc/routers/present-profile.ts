/**
 * The one place a profile leaves the API: identity-provider tokens only for callers with
 * read:user_idp_tokens, and only the requested fields. Profiles, and so the profile cache,
 * never hold those tokens: the read procedures open them from storage for each call.
 */
import type { ApiCaller } from '../../server/oidc/access-tokens.js';
import { type Profile, withoutManagementScopes } from '../../server/profiles/profile.js';
import { pickFields } from '../../server/profiles/profile-fields.js';
import type { IdpTokenReveal } from '../../server/users/idp-token-reveal.js';

const IDP_TOKENS_SCOPE = 'read:user_idp_tokens';

type Fields = ReadonlyArray<keyof Profile>;

export function presentProfile(profile: Profile, caller: ApiCaller, fields?: Fields): Partial<Profile> {
  const visible: Profile = caller.scopes.has(IDP_TOKENS_SCOPE)
    ? profile
    : { ...profile, identities: profile.identities.map(({ access_token: _access, refresh_token: _refresh, ...identity }) => identity) };
  return pickFields(visible, fields);
}

/** me.*: a user's own profile, without the privileges only management callers see. */
export function presentOwnProfile(profile: Profile, caller: ApiCaller): Partial<Profile> {
  return withoutManagementScopes(presentProfile(profile, caller));
}

const wantsIdpTokens = (caller: ApiCaller, fields: Fields | undefined) =>
  caller.scopes.has(IDP_TOKENS_SCOPE) && (fields === undefined || fields.includes('identities'));

export async function presentProfilesWithIdpTokens(
  profiles: readonly Profile[],
  caller: ApiCaller,
  idpTokens: IdpTokenReveal,
  fields?: Fields,
): Promise<Array<Partial<Profile>>> {
  const visible = wantsIdpTokens(caller, fields) ? await idpTokens.reveal(profiles) : profiles;
  return visible.map((profile) => presentProfile(profile, caller, fields));
}

export async function presentProfileWithIdpTokens(
  profile: Profile,
  caller: ApiCaller,
  idpTokens: IdpTokenReveal,
  fields?: Fields,
): Promise<Partial<Profile>> {
  const [visible = profile] = wantsIdpTokens(caller, fields) ? await idpTokens.reveal([profile]) : [];
  return presentProfile(visible, caller, fields);
}
