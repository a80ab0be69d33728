/**
 * `$ISSUER/admin/setup`: the setup link's page (GET, with `?token=`) and its form (POST). A link
 * that cannot be used answers with its refusal's status from the error table and a page saying
 * why; a refused email or password shows the form again, the link still unspent.
 */
import Router from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import { z } from 'zod';
import { DEFAULT_DATABASE_CONNECTION } from '../clients/bootstrap.js';
import { consoleUrl } from '../clients/console-client.js';
import { DomainError, ERROR_CODES, isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FirstAdministratorSetup } from './first-administrator.js';
import { SETUP_PATH, setupDonePage, setupFormPage, setupRefusedPage } from './setup-page.js';

export interface SetupRouteDependencies {
  issuer: string;
  firstAdministrator: FirstAdministratorSetup;
  logger: Logger;
}

const FORM_LIMIT = '16kb';
const email = z.email().max(512);
const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function createSetupRouter({ issuer, firstAdministrator, logger }: SetupRouteDependencies) {
  const router = new Router();

  function render(ctx: Context, status: number, body: string) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  }

  const refuse = (ctx: Context, error: DomainError) => render(ctx, error.httpStatus, setupRefusedPage(error.message));

  function showForm(ctx: Context, token: string, form: { email?: string; error?: DomainError }) {
    render(
      ctx,
      form.error ? form.error.httpStatus : 200,
      setupFormPage({ token, connection: DEFAULT_DATABASE_CONNECTION, email: form.email, error: form.error?.message }),
    );
  }

  router.get(SETUP_PATH, async (ctx) => {
    const token = text(ctx.query['token']);
    const refused = await firstAdministrator.refusal(token);
    if (refused) return refuse(ctx, refused);
    showForm(ctx, token, {});
  });

  router.post(SETUP_PATH, async (ctx) => {
    const form = (await parseBody.form(ctx, { limit: FORM_LIMIT })) as Record<string, unknown>;
    const token = text(form['token']);
    const given = { email: text(form['email']).trim(), password: text(form['password']) };
    const invalid = (message: string, field: string) =>
      showForm(ctx, token, { email: given.email, error: new DomainError('user.invalid', message, field) });
    if (!email.safeParse(given.email).success) return invalid('Enter a valid email address.', 'email');
    if (!given.password) return invalid('Enter a password.', 'password');
    if (given.password !== text(form['password_again'])) return invalid('The two passwords differ.', 'password_again');
    try {
      const profile = await firstAdministrator.create(token, given);
      logger.info({ user_id: profile.user_id }, 'first administrator created');
      render(ctx, 201, setupDonePage(given.email, consoleUrl(issuer)));
    } catch (error) {
      if (isDomainError(error, 'setup.link_refused') || isDomainError(error, 'setup.admin_exists')) return refuse(ctx, error);
      // The password policy, a taken email: the person can correct them with the same link.
      if (isDomainError(error) && ERROR_CODES[error.code].http < 500) return showForm(ctx, token, { email: given.email, error });
      throw error;
    }
  });

  return router;
}
