/**
 * "Forgot your password?" on the login page: one answer whether or not the address has an
 * account, and a reset link mailed only when a user of the connection has that email. The
 * link's page sends the person back to this login afterwards, when it is still the same browser.
 */
import Router from '@koa/router';
import { errors } from 'oidc-provider';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { RetryLater, retryAfterOf } from '../abuse/retry-later.js';
import { resetOffered } from './account-links.js';
import { forgotPage, resetSentPage } from './account-request-views.js';
import { chooseConnection, emailSchema, type LoginSteps, ownerOf, readForm, requireLoginPrompt } from './account-requests.js';
import { clientIdOf, type Details } from './login-steps.js';
import type { InteractionDependencies } from './routes.js';

export function createForgotRouter(deps: InteractionDependencies, steps: LoginSteps) {
  const { users, accountMail, accountRequests, issuer } = deps;
  const { log } = steps;
  const router = new Router();

  async function resetConnection(details: Details, name: string | undefined): Promise<ConnectionRecord> {
    const { credentials } = await steps.offered(details);
    const connection = chooseConnection(credentials, name, resetOffered);
    if (!connection) {
      throw new errors.InvalidRequest(
        name === undefined
          ? 'no connection of this application offers a password reset'
          : `connection "${name}" offers no password reset for this application`,
      );
    }
    return connection;
  }

  router.get('/:uid/forgot', async (ctx) => {
    const details = await steps.load(ctx);
    requireLoginPrompt(details);
    const name = typeof ctx.query['connection'] === 'string' ? ctx.query['connection'] : undefined;
    const connection = await resetConnection(details, name);
    ctx.type = 'html';
    ctx.body = forgotPage({
      action: `/interaction/${details.uid}/forgot`,
      loginUrl: `/interaction/${details.uid}`,
      connection: connection.name,
    });
  });

  router.post('/:uid/forgot', async (ctx) => {
    const details = await steps.load(ctx);
    requireLoginPrompt(details);
    const form = await readForm(ctx, ['connection', 'email']);
    const connection = await resetConnection(details, form['connection'] || undefined);
    const email = (form['email'] ?? '').trim().toLowerCase();
    const loginUrl = `/interaction/${details.uid}`;

    const refuse = (status: number, error: string, retryAfterSeconds?: number) => {
      ctx.status = status;
      if (retryAfterSeconds !== undefined) ctx.set('Retry-After', String(retryAfterSeconds));
      ctx.type = 'html';
      ctx.body = forgotPage({ action: `/interaction/${details.uid}/forgot`, loginUrl, connection: connection.name, email, error });
    };

    if (!emailSchema.safeParse(email).success) return refuse(400, 'Enter a valid email address.');
    try {
      await accountRequests.take(ctx.ip, email);
    } catch (error) {
      if (!(error instanceof RetryLater)) throw error;
      log.warn({ connection: connection.name, ip: ctx.ip }, 'password reset refused: too many requests');
      return refuse(error.httpStatus, error.message, retryAfterOf(error));
    }

    const owner = await ownerOf(users, connection, email);
    if (owner) {
      // Queued after the answer is on its way, so the answer takes as long for an address
      // without an account as for one with: its time tells nothing.
      const clientId = clientIdOf(details);
      setImmediate(() => {
        accountMail
          .sendPasswordReset(owner, email, { clientId, resultUrl: `${issuer}${loginUrl}` })
          .then(() => log.info({ user_id: owner, connection: connection.name, client_id: clientId }, 'password reset link sent'))
          .catch((error: unknown) => log.error({ err: error, user_id: owner }, 'password reset link could not be queued'));
      });
    }
    ctx.type = 'html';
    ctx.body = resetSentPage({ email, loginUrl });
  });

  return router;
}
