import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { RedirectStrategy } from '../strategy.js';

export function createSamlStrategy(_deps: StrategyDependencies): RedirectStrategy {
  const unavailable = () => Promise.reject(new DomainError('auth.upstream_failed', 'saml connections are not available yet'));
  return { kind: 'redirect', begin: unavailable, complete: unavailable };
}
