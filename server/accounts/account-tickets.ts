/**
 * Tickets: the single-use links account mail carries, as Auth0's tickets are. A ticket is 32
 * random bytes in the link and their SHA-256 in PostgreSQL, bound to one user and one purpose.
 * It dies at its first use, at its expiry, and when the user's email or password changes (by
 * any path: the stamp taken at issue no longer matches); a password rehashed at login is no
 * change, and carries its tickets over (`carryOver`). Using one runs its effect in the same
 * transaction that marks it used, so an effect that fails leaves the link usable.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AccountTicketQueries, AccountTicketRecord } from '../../adapters/queries/account-tickets.js';
import type { IdentityRecord, UserRecord, UserWithIdentities } from '../../adapters/queries/records.js';
import type { Transaction } from '../../adapters/queries/transaction.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { DomainError } from '../errors.js';

/** What a ticket does when used: verify the current email, set a new password, or move to (and verify) a new email. */
export const TICKET_PURPOSES = ['verify_email', 'reset_password', 'change_email'] as const;
export type TicketPurpose = (typeof TICKET_PURPOSES)[number];

/** Where each purpose's link opens; a new email is confirmed on the same page as a verification. */
export const TICKET_PATHS = {
  verify_email: '/tickets/verify-email',
  reset_password: '/tickets/reset-password',
  change_email: '/tickets/verify-email',
} as const satisfies Record<TicketPurpose, string>;

/** 32 random bytes in base64url; anything else is not worth a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A digest of what a ticket must outlive no change of: the email and every password hash. */
export function credentialStamp(user: Pick<UserRecord, 'email'>, identities: ReadonlyArray<Pick<IdentityRecord, 'password_hash'>>): string {
  const parts = [user.email ?? '', ...identities.map((identity) => identity.password_hash ?? '')];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

export interface TicketLifetimes {
  readonly verify_email: number;
  readonly reset_password: number;
  readonly change_email: number;
}

export interface AccountTicketDependencies {
  tickets: AccountTicketQueries;
  users: Pick<UserQueries, 'findById' | 'transaction'>;
  issuer: string;
  /** Seconds each purpose's ticket lives unless the issuer asks otherwise. */
  lifetimes: TicketLifetimes;
  /** Tests move it past a ticket's expiry. */
  now?: () => Date;
}

export interface IssueRequest {
  purpose: TicketPurpose;
  userId: string;
  /** The address the link goes to: the new one for change_email. */
  email?: string | undefined;
  /** The application the person came from: named on the pages, and where they may go back to. */
  clientId?: string | undefined;
  /** Where the page sends the person once the ticket is used (tickets.* result_url). */
  resultUrl?: string | undefined;
  ttlSeconds?: number | undefined;
  /** Using the ticket also sets email_verified (tickets.passwordChange's mark_email_as_verified). */
  markEmailVerified?: boolean | undefined;
  transaction?: Transaction | undefined;
  /** The user as the caller has just read them, when nothing has changed since; read here otherwise. */
  user?: UserWithIdentities | undefined;
}

export interface IssuedTicket {
  /** The link to hand over: it holds the token, so it is never logged. */
  url: string;
  expiresAt: Date;
}

/** A ticket a page may act on: unused, unexpired, its user's credentials as they were. */
export interface LiveTicket extends AccountTicketRecord {
  user: UserWithIdentities;
}

const refused = (message: string) => new DomainError('ticket.refused', message);

export function createAccountTickets({ tickets, users, issuer, lifetimes, now = () => new Date() }: AccountTicketDependencies) {
  /** Why `found` cannot be used now, in words for the page; undefined when it can. */
  function refusal(found: AccountTicketRecord | undefined, user: UserWithIdentities | undefined): DomainError | undefined {
    if (!found || !user) return refused('This link is not valid. Ask for a new one.');
    if (found.used_at) return refused('This link has already been used. Ask for a new one if you still need it.');
    if (found.expires_at.getTime() <= now().getTime()) return refused('This link has expired. Ask for a new one.');
    if (found.credential_stamp !== credentialStamp(user.user, user.identities)) {
      return refused("This link is no longer valid: the account's email or password changed after it was sent. Ask for a new one.");
    }
    return undefined;
  }

  function purposeRefusal(found: AccountTicketRecord | undefined, purposes: readonly TicketPurpose[]) {
    return found && !purposes.includes(found.purpose as TicketPurpose) ? refused('This link is not valid here.') : undefined;
  }

  return {
    async issue(request: IssueRequest): Promise<IssuedTicket> {
      const found = request.user ?? (await users.findById(request.userId, request.transaction));
      if (!found) throw new DomainError('user.not_found', `user ${request.userId} not found`, 'user_id');
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now().getTime() + (request.ttlSeconds ?? lifetimes[request.purpose]) * 1000);
      await tickets.insert(
        {
          tokenHash: hashOf(token),
          purpose: request.purpose,
          userId: request.userId,
          email: request.email ?? found.user.email ?? undefined,
          credentialStamp: credentialStamp(found.user, found.identities),
          clientId: request.clientId,
          resultUrl: request.resultUrl,
          expiresAt,
          markEmailVerified: request.markEmailVerified,
        },
        request.transaction,
      );
      return { url: `${issuer}${TICKET_PATHS[request.purpose]}?ticket=${token}`, expiresAt };
    },

    /** The ticket behind a link, for a page to show before anything is done; refused with the reason otherwise. */
    async inspect(token: string, purposes: readonly TicketPurpose[]): Promise<LiveTicket> {
      const found = TOKEN_SHAPE.test(token) ? await tickets.find(hashOf(token)) : undefined;
      const user = found ? await users.findById(found.user_id) : undefined;
      const problem = purposeRefusal(found, purposes) ?? refusal(found, user);
      if (problem || !found || !user) throw problem ?? refused('This link is not valid.');
      return { ...found, user };
    },

    /**
     * Uses the ticket: marks it used and runs `effect` in one transaction, so two requests with
     * one link get one effect, and an effect that throws leaves the link as it was.
     */
    async redeem<T>(
      token: string,
      purposes: readonly TicketPurpose[],
      effect: (ticket: LiveTicket, transaction: Transaction) => Promise<T>,
    ): Promise<T> {
      if (!TOKEN_SHAPE.test(token)) throw refused('This link is not valid. Ask for a new one.');
      const tokenHash = hashOf(token);
      return users.transaction(async (transaction) => {
        const taken = await tickets.take(tokenHash, now(), transaction);
        const found = taken ?? (await tickets.find(tokenHash, transaction));
        const user = found ? await users.findById(found.user_id, transaction) : undefined;
        const problem = purposeRefusal(found, purposes) ?? (taken ? refusal({ ...taken, used_at: null }, user) : refusal(found, user));
        if (problem || !taken || !user) throw problem ?? refused('This link has already been used.');
        return effect({ ...taken, user }, transaction);
      });
    },

    /**
     * Keeps the user's live tickets live across a write that changes no credential (a password
     * hash replaced by a stronger hash of the same password): tickets stamped for `before` are
     * stamped for `after`. A ticket already dead for `before` stays dead.
     */
    carryOver: (before: UserWithIdentities, after: UserWithIdentities, transaction: Transaction) =>
      tickets.restamp(
        before.user.id,
        credentialStamp(before.user, before.identities),
        credentialStamp(after.user, after.identities),
        transaction,
      ),

    /** Forgets tickets expired or used more than a day ago, so the table holds only what may still matter. */
    sweep: () => tickets.sweep(new Date(now().getTime() - 24 * 60 * 60 * 1000)),
  };
}

export type AccountTickets = ReturnType<typeof createAccountTickets>;
