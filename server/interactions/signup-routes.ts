/**
 * Sign-up from the login page, which verifies before it signs in: every sign-up that passes
 * its checks answers with the same "Check your email" page. A new address gets its user
 * (email_verified false) and a link to verify it; a taken one gets a notice to its owner and
 * nothing else. The link leads back to /signup/continue in the browser that signed up, which
 * logs the new user in once their address is verified and goes on to the application.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { RetryLater, retryAfterOf } from '../abuse/retry-later.js';
import { checkPasswordPolicy, databaseOptions } from '../connections/database-connection.js';
import { DomainError, isDomainError } from '../errors.js';
import { hashPassword } from '../passwords.js';
import { signupAllowed } from './account-links.js';
import { checkEmailPage, continueElsewherePage, signupPage } from './account-request-views.js';
import {
  chooseConnection,
  clientNameOf,
  emailSchema,
  type LoginSteps,
  ownerOf,
  readForm,
  requireLoginPrompt,
  secondsLeft,
} from './account-requests.js';
import { clientIdOf, type Details } from './login-steps.js';
import type { InteractionDependencies } from './routes.js';

/** What a sign-up leaves for /signup/continue; `userId` only when it created a user. */
export interface SignupFlow {
  kind: 'signup';
  uid: string;
  connectionId: string;
  userId?: string;
}

/** One per interaction, found by its uid: the continue route is bound to the interaction's cookie, so the uid alone grants nothing. */
export const signupFlowId = (uid: string) => `signup:${uid}`;

const NAME_MAX = 300;
const PASSWORD_MAX = 1024;

const signupRefused = () => new DomainError('signup.disabled', 'Sign-up is not available for this application.');

export function createSignupRouter(deps: InteractionDependencies, steps: LoginSteps) {
  const { providers, flows, users, userService, accountMail, accountRequests, issuer } = deps;
  const { log } = steps;
  const router = new Router();

  async function signupConnection(details: Details, name: string | undefined): Promise<ConnectionRecord> {
    const { credentials } = await steps.offered(details);
    const connection = chooseConnection(credentials, name, signupAllowed);
    if (!connection) throw signupRefused();
    return connection;
  }

  router.get('/:uid/signup', async (ctx) => {
    const details = await steps.load(ctx);
    requireLoginPrompt(details);
    const name = typeof ctx.query['connection'] === 'string' ? ctx.query['connection'] : undefined;
    const connection = await signupConnection(details, name);
    ctx.type = 'html';
    ctx.body = signupPage({
      action: `/interaction/${details.uid}/signup`,
      loginUrl: `/interaction/${details.uid}`,
      clientName: await clientNameOf(providers, details),
      connection: connection.name,
      minPasswordLength: databaseOptions(connection).password_policy.min_length,
    });
  });

  router.post('/:uid/signup', async (ctx) => {
    const details = await steps.load(ctx);
    requireLoginPrompt(details);
    const form = await readForm(ctx, ['connection', 'email', 'password', 'name']);
    const connection = await signupConnection(details, form['connection'] || undefined);
    const clientName = await clientNameOf(providers, details);
    const email = (form['email'] ?? '').trim().toLowerCase();
    const password = form['password'] ?? '';
    const name = (form['name'] ?? '').trim();
    const options = databaseOptions(connection);

    const refuse = (status: number, error: string, retryAfterSeconds?: number) => {
      ctx.status = status;
      if (retryAfterSeconds !== undefined) ctx.set('Retry-After', String(retryAfterSeconds));
      ctx.type = 'html';
      ctx.body = signupPage({
        action: `/interaction/${details.uid}/signup`,
        loginUrl: `/interaction/${details.uid}`,
        clientName,
        connection: connection.name,
        minPasswordLength: options.password_policy.min_length,
        email,
        name,
        error,
      });
    };

    // Checked before anything is counted or written: a typing mistake costs nothing.
    if (!emailSchema.safeParse(email).success) return refuse(400, 'Enter a valid email address.');
    if (name.length > NAME_MAX) return refuse(400, `The name may be at most ${NAME_MAX} characters long.`);
    if (password.length > PASSWORD_MAX) return refuse(400, `The password may be at most ${PASSWORD_MAX} characters long.`);
    try {
      checkPasswordPolicy(options, password);
    } catch (error) {
      if (!isDomainError(error, 'password.too_weak')) throw error;
      return refuse(400, `The password must be at least ${options.password_policy.min_length} characters long.`);
    }
    try {
      await accountRequests.take(ctx.ip, email);
    } catch (error) {
      if (!(error instanceof RetryLater)) throw error;
      log.warn({ connection: connection.name, ip: ctx.ip }, 'sign-up refused: too many requests');
      return refuse(error.httpStatus, error.message, retryAfterOf(error));
    }

    const clientId = clientIdOf(details);
    let owner = await ownerOf(users, connection, email);
    let userId: string | undefined;
    if (!owner) {
      try {
        const created = await userService.create({
          connection: connection.name,
          email,
          password,
          email_verified: false,
          ...(name ? { name } : {}),
        });
        userId = created.user_id;
      } catch (error) {
        // Another sign-up took the address since the look-up: it is a taken one after all.
        if (!isDomainError(error, 'user.exists')) throw error;
        owner = await ownerOf(users, connection, email);
      }
    } else {
      // The same password hash a new user costs, so the answer takes as long either way.
      await hashPassword(password);
    }
    if (userId) {
      await accountMail.sendVerification(userId, email, { clientId, resultUrl: `${issuer}/interaction/${details.uid}/signup/continue` });
      log.info({ user_id: userId, connection: connection.name, client_id: clientId }, 'user signed up; verification sent');
    } else if (owner) {
      await accountMail.sendSignupAttempt(owner, email, { clientId });
      log.info({ user_id: owner, connection: connection.name, client_id: clientId }, 'sign-up with a taken address; its owner was told');
    }
    const flow: SignupFlow = { kind: 'signup', uid: details.uid, connectionId: connection.id, ...(userId ? { userId } : {}) };
    await flows.put(signupFlowId(details.uid), { ...flow }, secondsLeft(details));
    ctx.type = 'html';
    ctx.body = checkEmailPage({ email, clientName, loginUrl: `/interaction/${details.uid}` });
  });

  /** Where the verification link sends the browser once the address is verified; see the header. */
  router.get('/:uid/signup/continue', async (ctx) => {
    let details: Details;
    try {
      details = await steps.load(ctx);
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest)) throw error;
      return showElsewhere(ctx);
    }
    if (details.prompt.name !== 'login') {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${details.uid}`);
    }
    const id = signupFlowId(details.uid);
    const flow = (await flows.find(id)) as Partial<SignupFlow> | undefined;
    const verified = flow?.kind === 'signup' && flow.userId ? (await users.findById(flow.userId))?.user.email_verified === true : false;
    if (verified && flow?.userId && flow.connectionId) {
      const connection = await deps.connections.findById(flow.connectionId);
      // Taken, not merely read: the flow signs its user in once.
      if (connection && (await flows.take(id))) return steps.completeLogin(ctx, details, flow.userId, connection);
    }
    return steps.renderLogin(ctx, details, { notice: 'Follow the link we sent to continue, or log in.' });
  });

  return router;
}

function showElsewhere(ctx: Context) {
  ctx.type = 'html';
  ctx.body = continueElsewherePage();
}
