/**
 * The login and consent pages behind oidc-provider's interactions. Each route resolves the
 * interaction from its cookie (so a page works only in the browser that started the flow),
 * checks it is the one in the URL, and hands the result back to the provider; the steps they
 * are made of are in login-steps.ts; sign-up and "Forgot your password?" are in signup-routes.ts
 * and forgot-routes.ts.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#user-flows
 */
import Router from '@koa/router';
import parseBody from 'co-body';
import { errors } from 'oidc-provider';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { loginSubject } from '../abuse/login-subjects.js';
import type { Strategies } from '../connections/strategies.js';
import { DomainError, isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LoginOutcomes } from '../metrics/login-outcomes.js';
import type { Authenticators } from '../mfa/authenticators.js';
import type { MfaEnrolment } from '../mfa/enrolment.js';
import type { MfaPolicy } from '../mfa/mfa-policy.js';
import type { RecoveryCodes } from '../mfa/recovery-codes.js';
import type { Totp } from '../mfa/totp.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { ConnectionLogin } from '../profiles/connection-login.js';
import type { ProfileService } from '../profiles/profile-service.js';
import type { PostLoginRules } from '../rules/post-login.js';
import { signupAllowed } from './account-links.js';
import type { AccountRequestDependencies } from './account-requests.js';
import { createForgotRouter } from './forgot-routes.js';
import { grantConsent } from './grant-consent.js';
import { describeFailure, loginFailure } from './login-failure.js';
import { clientIdOf, createLoginSteps, requestedConnection } from './login-steps.js';
import { createPasskeyRouter, type PasskeySignIn } from './passkey-routes.js';
import { describeScopes } from './scope-descriptions.js';
import { createSecondFactorRouter } from './second-factor-routes.js';
import { createSignupRouter } from './signup-routes.js';
import { createStepUp, stepUpAccount } from './step-up.js';
import { newFlowId, UPSTREAM_FLOW_TTL_SECONDS, type UpstreamResult } from './upstream-flow.js';
import { consentPage } from './views.js';

export interface InteractionDependencies extends AccountRequestDependencies {
  providers: ProviderHost;
  profiles: ProfileService;
  connections: ConnectionQueries;
  strategies: Strategies;
  connectionLogin: ConnectionLogin;
  flows: LoginFlowQueries;
  rules: PostLoginRules;
  loginAttempts: LoginAttempts;
  loginOutcomes: LoginOutcomes;
  logger: Logger;
  passkeys: PasskeySignIn;
  /** The second factor at login (second-factor-routes.ts): the user's factors, and MFA_POLICY. */
  authenticators: Pick<Authenticators, 'list' | 'enrolled'>;
  totp: Totp;
  recoveryCodes: RecoveryCodes;
  mfaEnrolment: MfaEnrolment;
  mfaPolicy: MfaPolicy;
}

const FORM_LIMIT = '16kb';

export const UNVERIFIED_SIGNUP_HINT = 'If you have just signed up, follow the link we sent you first.';

export function createInteractionRouter(deps: InteractionDependencies) {
  const { providers, strategies, connectionLogin, flows, connections, loginAttempts, loginOutcomes } = deps;
  const steps = createLoginSteps(deps);
  const { log, load, finish, offered, renderLogin, showFailure, completeLogin, singleSignOnAllowed } = steps;
  const stepUp = createStepUp(deps, steps);
  const router = new Router({ prefix: '/interaction' });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/:uid', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name === 'login') {
      const stepUpUser = stepUpAccount(details);
      if (stepUpUser !== undefined && (await stepUp(ctx, details, stepUpUser))) return;
      const requested = requestedConnection(details);
      const offer = await offered(details);
      const { credentials, redirects } = offer;
      if (requested !== undefined && credentials.length === 0 && redirects.length === 0) {
        throw new errors.InvalidRequest(`connection "${requested}" is not enabled for this application`);
      }
      // docs/contract.md: `connection=<name>` of a federated connection goes straight to the upstream's page.
      const [only] = redirects;
      if (requested !== undefined && only) {
        ctx.status = 303;
        return ctx.redirect(`/interaction/${details.uid}/connection/${encodeURIComponent(only.name)}`);
      }
      return renderLogin(ctx, details, {}, offer);
    }

    const client = await providers.provider.Client.find(clientIdOf(details));
    if (!client) throw new errors.InvalidClient('client not found');
    if (client['is_first_party'] === true) {
      if (!(await singleSignOnAllowed(ctx, details))) return;
      return finish(ctx, details, { consent: await grantConsent(providers.provider, details) }, true);
    }
    const missingScopes = (details.prompt.details['missingOIDCScope'] as string[] | undefined) ?? [];
    // The management API is the only resource; its scopes are what grantConsent will add for it.
    const missingResourceScopes = Object.values(
      (details.prompt.details['missingResourceScopes'] as Record<string, string[]> | undefined) ?? {},
    );
    ctx.type = 'html';
    ctx.body = consentPage({
      action: `/interaction/${details.uid}/confirm`,
      abortUrl: `/interaction/${details.uid}/abort`,
      clientName: client.clientName ?? client.clientId,
      requests: describeScopes([...missingScopes, ...missingResourceScopes.flat()]),
    });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    const form = (await parseBody.form(ctx, { limit: FORM_LIMIT })) as Record<string, unknown>;
    const username = typeof form['username'] === 'string' ? form['username'] : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const chosen = typeof form['connection'] === 'string' ? form['connection'] : undefined;

    const offer = await offered(details);
    const { credentials } = offer;
    const connection = chosen === undefined ? credentials[0] : credentials.find((candidate) => candidate.name === chosen);
    if (!connection) {
      const message =
        chosen === undefined
          ? 'No login method is enabled for this application.'
          : `Connection "${chosen}" is not enabled for this application.`;
      return showFailure(ctx, details, describeFailure(new DomainError('connection.not_enabled', message)), undefined, offer);
    }
    let userId: string;
    let countReset: Promise<void>;
    try {
      // ctx.ip is the address app.ts trusts (TRUST_PROXY), the one last_ip and the rules see.
      const attempt = await loginAttempts.begin(loginSubject(connection.id, username), ctx.ip);
      try {
        const strategy = strategies.get(connection.strategy);
        if (strategy?.kind !== 'credentials') throw new Error(`connection ${connection.name} takes no password`);
        userId = (await connectionLogin.login(connection, await strategy.authenticate(connection, username, password))).userId;
      } catch (error) {
        if (!isDomainError(error, 'auth.invalid_credentials')) await attempt.inconclusive();
        else if (await attempt.failed())
          log.warn({ connection: connection.name, ip: ctx.ip }, 'login name blocked for this IP after too many failed attempts');
        throw error;
      }
      // The name's count is reset while the login completes: nothing after this depends on it.
      countReset = attempt.succeeded();
    } catch (error) {
      const failure = loginFailure(error);
      if (!failure) throw error;
      log.info(
        { connection: connection.name, client_id: clientIdOf(details), code: failure.code, reason: failure.message },
        'login failed',
      );
      loginOutcomes.record(connection.name, failure.code);
      // A new account's password works once its address is verified: said to everyone alike, so it tells nothing.
      const hinted =
        failure.code === 'auth.invalid_credentials' && signupAllowed(connection, clientIdOf(details))
          ? { ...failure, message: `${failure.message} ${UNVERIFIED_SIGNUP_HINT}` }
          : failure;
      return showFailure(ctx, details, hinted, username, offer);
    }
    await Promise.all([countReset, completeLogin(ctx, details, userId, connection, { username })]);
  });

  /** Sends the browser to an upstream provider; it comes back to /login/callback. */
  router.get('/:uid/connection/:name', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    const { redirects } = await offered(details);
    const connection = redirects.find((candidate) => candidate.name === ctx.params['name']);
    const strategy = connection ? strategies.get(connection.strategy) : undefined;
    if (!connection || strategy?.kind !== 'redirect') {
      throw new errors.InvalidRequest(`connection "${ctx.params['name']}" is not enabled for this application`);
    }
    const flowId = newFlowId();
    let url: string;
    try {
      const begun = await strategy.begin(connection, flowId);
      url = begun.url;
      await flows.save(
        flowId,
        { kind: 'upstream', uid: details.uid, connectionId: connection.id, state: begun.state },
        UPSTREAM_FLOW_TTL_SECONDS,
      );
    } catch (error) {
      const failure = loginFailure(error);
      if (!failure) throw error;
      log.warn({ connection: connection.name, code: failure.code, reason: failure.message }, 'upstream login could not start');
      loginOutcomes.record(connection.name, failure.code);
      return showFailure(ctx, details, failure);
    }
    ctx.status = 303;
    ctx.redirect(url);
  });

  /** Where /login/callback sends the browser back: the upstream login is done, the flow goes on. */
  router.get('/:uid/resume/:result', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    const result = (await flows.take(String(ctx.params['result']))) as Partial<UpstreamResult> | undefined;
    if (result?.kind !== 'result' || result.uid !== details.uid || !result.userId || !result.connectionId) {
      throw new errors.InvalidRequest('this login has expired or was already used; please log in again');
    }
    const connection = await connections.findById(result.connectionId);
    if (!connection) throw new errors.InvalidRequest('the connection of this login no longer exists');
    return completeLogin(ctx, details, result.userId, connection);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'consent') throw new errors.InvalidRequest('this interaction is not waiting for consent');
    await parseBody.form(ctx, { limit: FORM_LIMIT });
    if (!(await singleSignOnAllowed(ctx, details))) return;
    return finish(ctx, details, { consent: await grantConsent(providers.provider, details) }, true);
  });

  router.get('/:uid/abort', async (ctx) => {
    return finish(ctx, await load(ctx), { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
  });

  router.use(
    createSignupRouter(deps, steps).routes(),
    createForgotRouter(deps, steps).routes(),
    createSecondFactorRouter(deps, steps).routes(),
    createPasskeyRouter(deps, steps).routes(),
  );

  return router;
}
