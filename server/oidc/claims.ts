/**
 * Which claims each scope releases (docs/contract.md), and the pure mapping from a profile to the
 * standard OIDC claim names.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 */
import type { Profile } from '../profiles/profile.js';

export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'family_name', 'given_name', 'nickname', 'picture', 'locale', 'updated_at', 'preferred_username'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
} as const;

export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'address'] as const;

export type Claims = Record<string, unknown> & { sub: string };

export function profileToClaims(profile: Profile): Claims {
  const claims: Claims = {
    sub: profile.user_id,
    name: profile.name,
    family_name: profile.family_name,
    given_name: profile.given_name,
    nickname: profile.nickname,
    picture: profile.picture,
    locale: profile.locale,
    updated_at: Math.floor(Date.parse(profile.updated_at) / 1000),
    preferred_username: profile.username,
    email: profile.email,
    email_verified: profile.email === undefined ? undefined : profile.email_verified,
    phone_number: profile.phone_number,
    phone_number_verified: profile.phone_number === undefined ? undefined : profile.phone_verified,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)) as Claims;
}
