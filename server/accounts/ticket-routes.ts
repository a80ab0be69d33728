/**
 * The pages the account mail's links open. `/tickets/verify-email` uses its ticket on GET, as
 * Auth0's verification link does: it verifies the address, or moves the account to a new one.
 * `/tickets/reset-password` only shows its form on GET (a mail scanner's prefetch spends
 * nothing); the POST uses the ticket and sets the password. A ticket's use and its change
 * commit together: the change is prepared first (checks, hashing), then written inside the
 * redemption's transaction, so a refused change leaves the link usable. What follows a commit
 * (events, revoking sessions, the notice) runs after it, on no open transaction.
 */
import Router from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import type { Config } from '../config.js';
import { DomainError, ERROR_CODES, isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RevokeAccount } from '../oidc/account-revocation.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { UserChanges } from '../users/user-schemas.js';
import type { UserService } from '../users/user-service.js';
import type { AccountMail } from './account-mail.js';
import type { AccountTickets, LiveTicket, TicketPurpose } from './account-tickets.js';
import { passwordRulesOf } from './password-policy.js';
import {
  emailVerifiedPage,
  passwordChangedPage,
  RESET_PASSWORD_PATH,
  resetFormPage,
  ticketRefusedPage,
  VERIFY_EMAIL_PATH,
} from './ticket-views.js';

export interface TicketRouteDependencies {
  issuer: string;
  accountTickets: AccountTickets;
  accountMail: Pick<AccountMail, 'sendPasswordChanged'>;
  userService: Pick<UserService, 'prepareUpdate'>;
  revokeAccount: RevokeAccount;
  providers: ProviderHost;
  config: Pick<Config, 'accounts'>;
  logger: Logger;
}

const VERIFY_PURPOSES: readonly TicketPurpose[] = ['verify_email', 'change_email'];
const RESET_PURPOSES: readonly TicketPurpose[] = ['reset_password'];
const FORM_LIMIT = '16kb';
const MAX_PASSWORD_LENGTH = 1024;

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const sameAddress = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

const noPassword = () => new DomainError('ticket.refused', 'This account has no password that can be set here.');

/** A refusal the person can act on (a taken address, a weak password): shown with its own status, never a 500. */
const isPersonFacing = (error: unknown): error is DomainError => isDomainError(error) && ERROR_CODES[error.code].http < 500;

export function createTicketRouter(deps: TicketRouteDependencies) {
  const { issuer, accountTickets, accountMail, userService, revokeAccount, providers, config, logger } = deps;
  const router = new Router();
  const issuerOrigin = new URL(issuer).origin;

  function render(ctx: Context, status: number, body: string) {
    ctx.status = status;
    ctx.type = 'html';
    // The URL holds the ticket: no cache may keep the page, and no link on it may carry it on in a Referer.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = body;
  }

  const refuse = (ctx: Context, error: DomainError) => render(ctx, error.httpStatus, ticketRefusedPage(error.message));

  /** The application's name for the page; read before the ticket is used, so nothing can fail after the commit. */
  async function appNameOf(ticket: LiveTicket): Promise<string | undefined> {
    if (!ticket.client_id) return undefined;
    return (await providers.provider.Client.find(ticket.client_id))?.clientName;
  }

  /** The live ticket, or the refusal page and undefined. */
  async function inspected(ctx: Context, token: string, purposes: readonly TicketPurpose[]): Promise<LiveTicket | undefined> {
    try {
      return await accountTickets.inspect(token, purposes);
    } catch (error) {
      if (isDomainError(error, 'ticket.refused')) {
        refuse(ctx, error);
        return undefined;
      }
      throw error;
    }
  }

  router.get(VERIFY_EMAIL_PATH, async (ctx) => {
    const token = text(ctx.query['ticket']);
    const ticket = await inspected(ctx, token, VERIFY_PURPOSES);
    if (!ticket) return;
    // A link checker's HEAD learns the link works and spends nothing.
    if (ctx.method === 'HEAD') return render(ctx, 200, '');
    const moving = ticket.purpose === 'change_email';
    const changes: UserChanges = moving && ticket.email ? { email: ticket.email, email_verified: true } : { email_verified: true };
    const appName = await appNameOf(ticket);
    try {
      const prepared = await userService.prepareUpdate(ticket.user_id, changes);
      await accountTickets.redeem(token, VERIFY_PURPOSES, async (taken, transaction) => {
        // The stamp already kills a ticket whose address is no longer the user's; this says so in words.
        if (!moving && !sameAddress(taken.email, taken.user.user.email)) {
          throw new DomainError('ticket.refused', 'This link verifies an address your account no longer uses.');
        }
        await prepared.write(transaction);
      });
      await prepared.committed();
    } catch (error) {
      if (isDomainError(error, 'user.exists')) {
        return render(
          ctx,
          error.httpStatus,
          ticketRefusedPage(`Another account already uses ${ticket.email ?? 'this address'}, so your account cannot move to it.`),
        );
      }
      if (isPersonFacing(error)) return refuse(ctx, error);
      throw error;
    }
    logger.info({ user_id: ticket.user_id, purpose: ticket.purpose }, 'email verified through a ticket');
    if (ticket.result_url) {
      ctx.status = 303;
      ctx.set('Cache-Control', 'no-store');
      return ctx.redirect(ticket.result_url);
    }
    render(ctx, 200, emailVerifiedPage({ email: ticket.email ?? undefined, appName }));
  });

  router.get(RESET_PASSWORD_PATH, async (ctx) => {
    const token = text(ctx.query['ticket']);
    const ticket = await inspected(ctx, token, RESET_PURPOSES);
    if (!ticket) return;
    const rules = passwordRulesOf(ticket.user);
    if (!rules) return refuse(ctx, noPassword());
    const appName = await appNameOf(ticket);
    render(ctx, 200, resetFormPage({ ticket: token, minLength: rules.min_length, appName, email: ticket.user.user.email ?? undefined }));
  });

  router.post(RESET_PASSWORD_PATH, async (ctx) => {
    // The ticket is what protects this form (unguessable, single use); a foreign Origin is refused besides.
    // `null` is what a browser sends from a page with Referrer-Policy: no-referrer, this one's included.
    const origin = ctx.get('origin');
    if (origin && origin !== 'null' && origin !== issuerOrigin) {
      return refuse(ctx, new DomainError('ticket.refused', 'This form was sent from another site.'));
    }
    const form = (await parseBody.form(ctx, { limit: FORM_LIMIT })) as Record<string, unknown>;
    const token = text(form['ticket']);
    const password = text(form['password']);
    const ticket = await inspected(ctx, token, RESET_PURPOSES);
    if (!ticket) return;
    const rules = passwordRulesOf(ticket.user);
    if (!rules) return refuse(ctx, noPassword());
    const appName = await appNameOf(ticket);
    const email = ticket.user.user.email ?? undefined;
    const showForm = (status: number, error: string) =>
      render(ctx, status, resetFormPage({ ticket: token, minLength: rules.min_length, appName, email, error }));

    if (password.length < rules.min_length) return showForm(400, `Your new password must be at least ${rules.min_length} characters.`);
    if (password.length > MAX_PASSWORD_LENGTH) return showForm(400, `Your new password must be at most ${MAX_PASSWORD_LENGTH} characters.`);
    if (password !== text(form['password_again'])) return showForm(400, 'The two passwords differ.');
    const changes: UserChanges = { password, ...(ticket.mark_email_verified ? { email_verified: true } : {}) };
    try {
      const prepared = await userService.prepareUpdate(ticket.user_id, changes);
      await accountTickets.redeem(token, RESET_PURPOSES, (_taken, transaction) => prepared.write(transaction));
      await prepared.committed();
    } catch (error) {
      if (isDomainError(error, 'ticket.refused')) return refuse(ctx, error);
      if (isDomainError(error, 'auth.upstream_failed')) {
        return showForm(error.httpStatus, 'Your password could not be changed just now. Try again in a moment: this link still works.');
      }
      // The policy or the custom database's script refused: the same link can try again.
      if (isPersonFacing(error)) return showForm(error.httpStatus, error.message);
      throw error;
    }
    logger.info({ user_id: ticket.user_id }, 'password reset through a ticket');
    if (!config.accounts.resetKeepsSessions) await revokeAccount(ticket.user_id);
    if (email) await accountMail.sendPasswordChanged(ticket.user_id, email, { clientId: ticket.client_id ?? undefined });
    render(ctx, 200, passwordChangedPage(ticket.result_url ?? undefined, appName));
  });

  return router;
}
