import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { CredentialStrategy } from '../strategy.js';

export function createCustomStrategy(_deps: StrategyDependencies): CredentialStrategy {
  const unavailable = () => Promise.reject(new DomainError('auth.upstream_failed', 'custom connections are not available yet'));
  return { kind: 'credentials', authenticate: unavailable };
}
