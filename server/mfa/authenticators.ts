/**
 * Every second factor a user holds, whatever its kind: each kind (authenticator app, passkey,
 * recovery codes) keeps its own table and says here what the user has of it, and how to remove
 * one or all. Operators (users.authenticators.*, users.resetMfa) and the person themselves
 * (me.authenticators.*) list and remove through this one place.
 */
import { DomainError } from '../errors.js';
import type { Authenticator, AuthenticatorType } from './authenticator-schemas.js';

export interface FactorKind {
  readonly type: AuthenticatorType;
  list(userId: string): Promise<Authenticator[]>;
  /** False when the user has no authenticator of this kind with this id. */
  remove(userId: string, authenticatorId: string): Promise<boolean>;
  removeAll(userId: string): Promise<void>;
}

export interface AuthenticatorDependencies {
  kinds: readonly FactorKind[];
  /** Whether the user holds a factor of a kind other than recovery codes, in one lookup (adapters/queries/second-factors.ts). */
  enrolled(userId: string): Promise<boolean>;
  /** Throws user.not_found for an unknown user, and the takeover guard's error for a caller lacking the user's scopes. */
  checkManageable(userId: string, callerScopes: ReadonlySet<string> | undefined): Promise<void>;
  /** Told after a factor was removed, so what depends on the user's factors hears of it. */
  changed(userId: string): Promise<void>;
}

const notFound = (authenticatorId: string) =>
  new DomainError('authenticator.not_found', `no authenticator ${authenticatorId} for this user`, 'authenticator_id');

export function createAuthenticators({ kinds, enrolled, checkManageable, changed }: AuthenticatorDependencies) {
  async function list(userId: string): Promise<Authenticator[]> {
    const lists = await Promise.all(kinds.map((kind) => kind.list(userId)));
    return lists.flat().sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  return {
    list,

    /** Whether the user has a factor to be asked for: recovery codes alone are a way back in, not a factor. */
    enrolled,

    /** `callerScopes`: an operator's; undefined when the person removes their own. */
    async remove(userId: string, authenticatorId: string, callerScopes?: ReadonlySet<string>): Promise<void> {
      await checkManageable(userId, callerScopes);
      for (const kind of kinds) {
        if (await kind.remove(userId, authenticatorId)) return changed(userId);
      }
      throw notFound(authenticatorId);
    },

    /** Every factor of the user, as Auth0's "reset MFA" does: they enrol again at their next login where the policy asks for one. */
    async reset(userId: string, callerScopes?: ReadonlySet<string>): Promise<void> {
      await checkManageable(userId, callerScopes);
      await Promise.all(kinds.map((kind) => kind.removeAll(userId)));
      await changed(userId);
    },
  };
}

export type Authenticators = ReturnType<typeof createAuthenticators>;
