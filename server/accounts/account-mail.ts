/**
 * The account messages, each ticket issued and message queued in one step: inside the caller's
 * transaction when there is one, so a message and its link exist exactly when the write that
 * caused them committed. Links are only ever in the sealed message, never logged.
 */
import type { Transaction } from '../../adapters/queries/transaction.js';
import type { Mailer } from '../mail/mailer.js';
import type { AccountTickets, TicketPurpose } from './account-tickets.js';

export interface AccountMailDependencies {
  tickets: AccountTickets;
  mailer: Mailer;
  /** The application's display name, to name it in the message; undefined when there is no such client. */
  appName: (clientId: string) => Promise<string | undefined>;
}

export interface AccountMailOptions {
  /** The application the person came from: named in the message and on the pages the link opens. */
  clientId?: string | undefined;
  /** Where the page the link opens sends the person once the ticket is used. */
  resultUrl?: string | undefined;
  transaction?: Transaction | undefined;
}

type LinkKind = 'verify_email' | 'reset_password' | 'signup_attempt_existing';

export function createAccountMail({ tickets, mailer, appName }: AccountMailDependencies) {
  async function sendLink(kind: LinkKind, purpose: TicketPurpose, userId: string, to: string, options: AccountMailOptions) {
    const { clientId, resultUrl, transaction } = options;
    const { url } = await tickets.issue({ purpose, userId, email: to, clientId, resultUrl, transaction });
    const name = clientId ? await appName(clientId) : undefined;
    return mailer.send({ to, kind, values: { link: url }, userId, transaction, appName: name });
  }

  return {
    /** A link that sets email_verified on the address the user has now. */
    sendVerification: (userId: string, email: string, options: AccountMailOptions = {}) =>
      sendLink('verify_email', 'verify_email', userId, email, options),

    /** A link, sent to the new address, that moves the user to it (verified) once followed. */
    sendEmailChange: (userId: string, newEmail: string, options: AccountMailOptions = {}) =>
      sendLink('verify_email', 'change_email', userId, newEmail, options),

    /** A link to set a new password. */
    sendPasswordReset: (userId: string, email: string, options: AccountMailOptions = {}) =>
      sendLink('reset_password', 'reset_password', userId, email, options),

    /**
     * Someone tried to sign up with an address that already has an account: its owner hears of
     * it, with a reset link in case it was them and they forgot, while the page answers as it
     * does for any sign-up.
     */
    sendSignupAttempt: (userId: string, email: string, options: AccountMailOptions = {}) =>
      sendLink('signup_attempt_existing', 'reset_password', userId, email, options),

    /** The notice after a password was changed or reset. */
    async sendPasswordChanged(userId: string, email: string, options: AccountMailOptions = {}) {
      const name = options.clientId ? await appName(options.clientId) : undefined;
      return mailer.send({ to: email, kind: 'password_changed', values: {}, userId, transaction: options.transaction, appName: name });
    },
  };
}

export type AccountMail = ReturnType<typeof createAccountMail>;
