/**
 * The one answer to a wrong login on every connection that takes a password (database, LDAP,
 * custom scripts): it never says whether the name or the password was wrong, so the form
 * tells nobody which names exist.
 */
import { DomainError } from '../errors.js';

export function credentialsRefused(): DomainError {
  return new DomainError('auth.invalid_credentials', 'Wrong email, username or password.');
}
