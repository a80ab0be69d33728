/**
 * What the brute-force counters are kept for: a login name on one connection, as typed. Keyed
 * by name rather than by user, so the form is guarded before any password is checked, for
 * every kind of connection, and a name that matches no user is blocked exactly as one that
 * does (a block never tells which names exist).
 */
import type { IdentityRecord, UserRecord } from '../../adapters/queries/records.js';
import { isPrimaryIdentity } from '../profiles/profile.js';

export function loginSubject(connectionId: string, login: string): string {
  return `${connectionId}:${login.trim().toLowerCase()}`;
}

/**
 * The second factor's counter: by user, as the code is asked only once the first factor named
 * them. Wrong codes count like wrong passwords, against the same limits.
 */
export function secondFactorSubject(userId: string): string {
  return `second-factor:${userId}`;
}

/** Every name a user may type on the form for each of their connections, and their second factor: what an unblock lifts. */
export function userLoginSubjects(user: Pick<UserRecord, 'id' | 'email' | 'username'>, identities: readonly IdentityRecord[]): string[] {
  const subjects = new Set<string>([secondFactorSubject(user.id)]);
  for (const identity of identities) {
    const data = identity.profile_data as Record<string, unknown>;
    const primary = isPrimaryIdentity(user, identity);
    const names = [data['email'], data['username'], identity.external_id, ...(primary ? [user.email, user.username] : [])];
    for (const name of names) {
      if (typeof name === 'string' && name) subjects.add(loginSubject(identity.connection_id, name));
    }
  }
  return [...subjects];
}
