import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { RedirectStrategy } from '../strategy.js';

export function createOidcStrategy(_deps: StrategyDependencies): RedirectStrategy {
  const unavailable = () => Promise.reject(new DomainError('auth.upstream_failed', 'oidc connections are not available yet'));
  return { kind: 'redirect', begin: unavailable, complete: unavailable };
}
