/**
 * Login interactions kept in this process, on a single node (no Redis, which the contract makes
 * one node). An interaction lives minutes, is written three times and read as often in every
 * login, and is worth nothing after a restart: the person starts the login again from the
 * application. In PostgreSQL it cost a third of a login's statements. The number held is
 * bounded, the oldest going first, so abandoned logins cannot grow the process without end.
 */
import { boundedLru } from '../cache/bounded-lru.js';
import { refuseNul } from './nul-refusal.js';
import { copyPayload } from './payload-copy.js';
import type { AccountIndexedAdapter, AdapterPayload } from './types.js';

/** Far above the logins in flight on one node (a few thousand at the most), and ~2 KB each. */
export const INTERACTIONS_HELD = 50_000;

export function createMemoryInteractions(max = INTERACTIONS_HELD): AccountIndexedAdapter {
  const held = boundedLru<AdapterPayload>(max, { ttlAutopurge: false });
  // What the caller holds is its own: oidc-provider changes payloads it read before saving them.
  const copy = (payload: AdapterPayload | undefined) => (payload ? copyPayload(payload) : undefined);
  return {
    async upsert(id, payload, expiresIn) {
      refuseNul(id, payload);
      held.set(id, copyPayload(payload), { ttl: expiresIn ? expiresIn * 1000 : 0 });
    },
    async find(id) {
      return copy(held.get(id));
    },
    // Interactions are found by id only; the other look-ups belong to other models.
    async findByUid() {
      return undefined;
    },
    async findByUserCode() {
      return undefined;
    },
    async consume(id) {
      const payload = held.get(id);
      if (payload && !payload.consumed) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id) {
      held.delete(id);
    },
    async revokeByGrantId() {
      return undefined;
    },
    async idsByAccount() {
      return [];
    },
  };
}
