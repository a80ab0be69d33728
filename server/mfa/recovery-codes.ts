/**
 * Recovery codes: ten single-use codes, shown once when they are made, kept as SHA-256 digests.
 * Each holds 80 random bits, so a fast hash is enough: nobody can enumerate 2^80 candidates
 * against a stolen digest, which is what a slow hash guards a human-chosen password from.
 * They are listed as one authenticator (`recovery-code`) saying how many are left, and removing
 * it removes them all.
 */
import { createHash } from 'node:crypto';
import { Secret } from 'otpauth';
import type { RecoveryCodeQueries } from '../../adapters/queries/recovery-codes.js';
import type { Authenticator } from './authenticator-schemas.js';
import type { FactorKind } from './authenticators.js';

export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_CODES_ID = 'recovery-code';
/** 80 bits: 16 characters of base32. */
const CODE_BYTES = 10;

/** Base32 (RFC 4648: no 0, 1, 8 or 9 to misread) in lower case, in four groups of four, easier to copy by hand. */
const newCode = () => new Secret({ size: CODE_BYTES }).base32.toLowerCase().replace(/(.{4})(?!$)/g, '$1-');

/** What a typed code is compared as: case, spaces and dashes do not matter. */
const normalize = (code: string) => code.toLowerCase().replace(/[\s-]+/g, '');

const digest = (code: string) => createHash('sha256').update(normalize(code)).digest('base64url');

export function createRecoveryCodes(queries: RecoveryCodeQueries) {
  const kind: FactorKind = {
    type: 'recovery-code',
    async list(userId): Promise<Authenticator[]> {
      const summary = await queries.summary(userId);
      if (!summary) return [];
      return [
        {
          id: RECOVERY_CODES_ID,
          type: 'recovery-code',
          name: `Recovery codes, ${summary.remaining} left`,
          remaining: summary.remaining,
          created_at: summary.created_at.toISOString(),
          last_used_at: summary.last_used_at?.toISOString() ?? null,
        },
      ];
    },
    remove: (userId, id) => (id === RECOVERY_CODES_ID ? queries.removeAll(userId) : Promise.resolve(false)),
    removeAll: async (userId) => {
      await queries.removeAll(userId);
    },
  };

  return {
    kind,

    /** Ten new codes in place of the user's earlier ones; the only time they are seen in clear. */
    async issue(userId: string): Promise<string[]> {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
      await queries.replace(userId, codes.map(digest));
      return codes;
    },

    /** Whether the code is one of the user's unused codes; uses it if so. */
    async verify(userId: string, code: string): Promise<boolean> {
      const normalized = normalize(code);
      if (normalized.length === 0 || normalized.length > 64) return false;
      return queries.spend(userId, digest(normalized));
    },
  };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
