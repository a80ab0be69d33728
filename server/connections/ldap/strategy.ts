import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { CredentialStrategy } from '../strategy.js';

export function createLdapStrategy(_deps: StrategyDependencies): CredentialStrategy {
  const unavailable = () => Promise.reject(new DomainError('auth.upstream_failed', 'ldap connections are not available yet'));
  return { kind: 'credentials', authenticate: unavailable };
}
