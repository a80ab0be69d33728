/**
 * Where the claims rules set at a login wait for that client's tokens: saved per (user,
 * client) when the rules let a login through, read when an ID token or an access token is
 * issued to that client for that user, refreshes included. The latest login of a user to a
 * client wins, as a refresh that re-ran the rules would.
 */
import type { RuleClaimsQueries, StoredRuleClaims } from '../../adapters/queries/rule-claims.js';

export type { StoredRuleClaims };

export interface RuleClaimsStore {
  save(userId: string, clientId: string, claims: StoredRuleClaims): Promise<void>;
  /** `request` scopes a memo: one token response reads the claims for its ID token and its access token. */
  read(userId: string, clientId: string, request?: object): Promise<StoredRuleClaims | undefined>;
  sweep(): Promise<void>;
}

/** What the provider reads when no rules are configured: nothing, without a query. */
export const noRuleClaims: RuleClaimsStore = {
  save: async () => {},
  read: async () => undefined,
  sweep: async () => {},
};

export function createRuleClaimsStore(queries: RuleClaimsQueries, ttlSeconds: number): RuleClaimsStore {
  const perRequest = new WeakMap<object, { key: string; claims: Promise<StoredRuleClaims | undefined> }>();

  return {
    async save(userId, clientId, claims) {
      // A login whose rules set nothing also clears what an earlier login left.
      if (Object.keys(claims.idToken).length === 0 && Object.keys(claims.accessToken).length === 0) {
        return queries.remove(userId, clientId);
      }
      return queries.save(userId, clientId, claims, ttlSeconds);
    },

    read(userId, clientId, request) {
      if (!request) return queries.find(userId, clientId);
      const key = `${userId}\n${clientId}`;
      const cached = perRequest.get(request);
      if (cached?.key === key) return cached.claims;
      const claims = queries.find(userId, clientId);
      perRequest.set(request, { key, claims });
      return claims;
    },

    sweep: () => queries.sweep(),
  };
}
