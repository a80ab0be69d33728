/**
 * What tickets.* and users.sendVerificationEmail do for an operator: a verification or reset
 * link handed back (Auth0's tickets, for an operator to pass on however they like) or a
 * verification message sent. Only for a user the caller may manage: a link that sets a user's
 * password is as good as setting it.
 */
import type { UserWithIdentities } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { DomainError } from '../errors.js';
import { checkManageable } from '../oidc/management-api.js';
import { userNotFound } from '../users/user-not-found.js';
import type { AccountMail } from './account-mail.js';
import type { AccountTickets } from './account-tickets.js';
import { passwordRulesOf } from './password-policy.js';

export interface TicketRequest {
  user_id: string;
  result_url?: string | undefined;
  ttl_sec?: number | undefined;
  client_id?: string | undefined;
}

export interface PasswordChangeRequest extends TicketRequest {
  mark_email_as_verified?: boolean | undefined;
}

export interface TicketManagementDependencies {
  users: Pick<UserQueries, 'findById'>;
  tickets: Pick<AccountTickets, 'issue'>;
  accountMail: Pick<AccountMail, 'sendVerification'>;
  clientExists: (clientId: string) => Promise<boolean>;
}

export function createTicketManagement({ users, tickets, accountMail, clientExists }: TicketManagementDependencies) {
  async function manageable(userId: string, callerScopes: ReadonlySet<string>, field: string): Promise<UserWithIdentities> {
    const found = await users.findById(userId);
    if (!found) throw new DomainError('user.not_found', userNotFound(userId).message, field);
    checkManageable(`user ${userId}`, found.user.management_scopes, callerScopes, field);
    return found;
  }

  async function checkClient(clientId: string | undefined): Promise<void> {
    if (clientId !== undefined && !(await clientExists(clientId))) {
      throw new DomainError('client.not_found', `client ${clientId} does not exist`, 'client_id');
    }
  }

  function emailOf(found: UserWithIdentities, field: string): string {
    if (!found.user.email) throw new DomainError('user.invalid', `user ${found.user.id} has no email address to verify`, field);
    return found.user.email;
  }

  return {
    /** A link that verifies the user's current address (`{ticket}` as Auth0 answers). */
    async verifyEmail(request: TicketRequest, callerScopes: ReadonlySet<string>): Promise<{ ticket: string }> {
      const found = await manageable(request.user_id, callerScopes, 'user_id');
      const email = emailOf(found, 'user_id');
      await checkClient(request.client_id);
      const { url } = await tickets.issue({
        purpose: 'verify_email',
        userId: found.user.id,
        user: found,
        email,
        clientId: request.client_id,
        resultUrl: request.result_url,
        ttlSeconds: request.ttl_sec,
      });
      return { ticket: url };
    },

    /** A link that sets a new password, for a user with a password of their own (database or custom database). */
    async passwordChange(request: PasswordChangeRequest, callerScopes: ReadonlySet<string>): Promise<{ ticket: string }> {
      const found = await manageable(request.user_id, callerScopes, 'user_id');
      if (!passwordRulesOf(found)) {
        throw new DomainError('user.invalid', `user ${found.user.id} has no database identity whose password could be set`, 'user_id');
      }
      await checkClient(request.client_id);
      const { url } = await tickets.issue({
        purpose: 'reset_password',
        userId: found.user.id,
        user: found,
        clientId: request.client_id,
        resultUrl: request.result_url,
        ttlSeconds: request.ttl_sec,
        markEmailVerified: request.mark_email_as_verified,
      });
      return { ticket: url };
    },

    /** Queues the verification message to the user's current address. */
    async sendVerificationEmail(userId: string, clientId: string | undefined, callerScopes: ReadonlySet<string>): Promise<{ sent: true }> {
      const found = await manageable(userId, callerScopes, 'id');
      const email = emailOf(found, 'id');
      await checkClient(clientId);
      await accountMail.sendVerification(found.user.id, email, { clientId });
      return { sent: true };
    },
  };
}

export type TicketManagement = ReturnType<typeof createTicketManagement>;
