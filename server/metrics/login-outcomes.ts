/**
 * How each login ended, per connection: the interaction routes and the upstream callback say
 * it in one call where the outcome is decided, with the error code they already hold. The
 * codes map here to a fixed set of outcomes, and each (connection, outcome) counter is found
 * once, then kept. Without metrics the interactions get `ignoreLoginOutcomes`, which does nothing.
 */
import type { ErrorCode } from '../errors.js';
import type { TesseraMetrics } from './tessera-metrics.js';

export interface LoginOutcomes {
  /** `success`, or the error code the login failed with. */
  record(connection: string, outcome: 'success' | ErrorCode): void;
}

export const ignoreLoginOutcomes: LoginOutcomes = { record: () => undefined };

const OUTCOMES: Partial<Record<'success' | ErrorCode, string>> = {
  success: 'success',
  'auth.invalid_credentials': 'invalid_credentials',
  'user.blocked': 'blocked',
  'auth.denied_by_rule': 'denied_by_rule',
  'auth.too_many_attempts': 'too_many_attempts',
  'auth.upstream_failed': 'upstream_failure',
  'auth.invalid_response': 'upstream_failure',
  'profile.invalid': 'invalid_profile',
  'server.busy': 'busy',
};

export function countLoginOutcomes(metrics: Pick<TesseraMetrics, 'logins'>): LoginOutcomes {
  const byConnection = new Map<string, Map<string, { inc(): void }>>();
  return {
    record(connection, code) {
      const outcome = OUTCOMES[code] ?? 'other';
      let counters = byConnection.get(connection);
      if (!counters) {
        counters = new Map();
        byConnection.set(connection, counters);
      }
      let counter = counters.get(outcome);
      if (!counter) {
        counter = metrics.logins.labels(connection, outcome);
        counters.set(outcome, counter);
      }
      counter.inc();
    },
  };
}
