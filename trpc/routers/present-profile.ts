/**
 * The one place a profile leaves the API: identity-provider tokens only for callers with
 * read:user_idp_tokens, and only the requested fields.
 */
import type { ApiCaller } from '../../server/oidc/access-tokens.js';
import { pickFields } from '../../server/profiles/profile-fields.js';
import type { Profile } from '../../server/profiles/profile.js';

export function presentProfile(profile: Profile, caller: ApiCaller, fields?: ReadonlyArray<keyof Profile>): Partial<Profile> {
  const visible: Profile = caller.scopes.has('read:user_idp_tokens')
    ? profile
    : { ...profile, identities: profile.identities.map(({ access_token: _access, refresh_token: _refresh, ...identity }) => identity) };
  return pickFields(visible, fields);
}
