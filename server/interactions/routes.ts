/**
 * The login and consent pages behind oidc-provider's interactions. Each route resolves the
 * interaction from its cookie (so a page works only in the browser that started the flow),
 * checks it is the one in the URL, and hands the result back to the provider.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#user-flows
 */
import { randomBytes } from 'node:crypto';
import Router, { type RouterContext } from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import type { LoginAttempts } from '../abuse/login-attempts.js';
import { loginSubject } from '../abuse/login-subjects.js';
import type { Strategies } from '../connections/strategies.js';
import { isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { ConnectionLogin } from '../profiles/connection-login.js';
import type { Profile } from '../profiles/profile.js';
import type { ProfileService } from '../profiles/profile-service.js';
import type { PostLoginRules } from '../rules/post-login.js';
import { grantConsent } from './grant-consent.js';
import { splitConnections } from './login-connections.js';
import { loginFailure } from './login-failure.js';
import { describeScopes } from './scope-descriptions.js';
import { consentPage, errorPage, loginPage } from './views.js';

export interface InteractionDependencies {
  providers: ProviderHost;
  profiles: ProfileService;
  connections: ConnectionQueries;
  strategies: Strategies;
  connectionLogin: ConnectionLogin;
  flows: LoginFlowQueries;
  rules: PostLoginRules;
  loginAttempts: LoginAttempts;
  logger: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const FORM_LIMIT = '16kb';
/** How long a browser may spend at an upstream provider before coming back. */
export const UPSTREAM_FLOW_TTL_SECONDS = 10 * 60;

export function newFlowId(): string {
  return randomBytes(24).toString('base64url');
}

/** What the upstream callback leaves for the interaction to pick up in the browser that started it. */
export interface UpstreamResult {
  kind: 'result';
  uid: string;
  userId: string;
  connectionId: string;
}

export function createInteractionRouter(deps: InteractionDependencies) {
  const { providers, profiles, connections, strategies, connectionLogin, flows, rules, loginAttempts, logger } = deps;
  const router = new Router({ prefix: '/interaction' });
  const log = logger.child({ component: 'interactions' });

  async function load(ctx: RouterContext): Promise<Details> {
    const details = await providers.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params['uid']) throw new errors.InvalidRequest('interaction does not match this browser session');
    return details;
  }

  async function finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2], merge: boolean) {
    const returnTo = await providers.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  const clientIdOf = (details: Details) => String(details.params['client_id']);
  const requestedConnection = (details: Details) =>
    typeof details.params['connection'] === 'string' ? details.params['connection'] : undefined;

  async function offered(details: Details) {
    return splitConnections(await connections.listEnabledForClient(clientIdOf(details)), strategies, requestedConnection(details));
  }

  async function renderLogin(ctx: Context, details: Details, extra: { error?: string; username?: string } = {}) {
    const client = await providers.provider.Client.find(clientIdOf(details));
    const { credentials, redirects } = await offered(details);
    ctx.type = 'html';
    ctx.body = loginPage({
      action: `/interaction/${details.uid}/login`,
      abortUrl: `/interaction/${details.uid}/abort`,
      clientName: client?.clientName ?? clientIdOf(details),
      credentialConnections: credentials,
      redirectConnections: redirects.map((connection) => ({
        name: connection.name,
        url: `/interaction/${details.uid}/connection/${encodeURIComponent(connection.name)}`,
      })),
      ...extra,
    });
  }

  /** Runs the post-login rules; false when one denied, the page already rendered. */
  async function rulesAllow(ctx: Context, details: Details, profile: Profile, connection: { name: string; strategy: string }): Promise<boolean> {
    const client = await providers.provider.Client.find(clientIdOf(details));
    const outcome = await rules.run({
      user: profile,
      client: { client_id: clientIdOf(details), name: client?.clientName ?? clientIdOf(details) },
      connection,
      request: { ip: ctx.ip, user_agent: ctx.get('user-agent') || undefined },
      scopes: String(details.params['scope'] ?? '').split(' ').filter(Boolean),
    });
    if (outcome.denied === undefined) return true;
    log.info({ user_id: profile.user_id, reason: outcome.denied }, 'login denied by a rule');
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = errorPage('Access denied', outcome.denied);
    return false;
  }

  /** The last step of every login, whatever the connection: blocked users, rules, then the provider. */
  async function completeLogin(ctx: Context, details: Details, userId: string, connection: ConnectionRecord, username?: string) {
    const profile = await profiles.getProfile(userId);
    if (!profile || profile.blocked) {
      log.info({ user_id: userId }, 'login refused: user blocked');
      ctx.status = 403;
      return renderLogin(ctx, details, { error: 'This account is blocked.', ...(username ? { username } : {}) });
    }
    if (!(await rulesAllow(ctx, details, profile, { name: connection.name, strategy: connection.strategy }))) return;
    await profiles.recordLogin(userId, ctx.ip);
    log.info({ user_id: userId, connection: connection.name }, 'login succeeded');
    return finish(ctx, { login: { accountId: userId } }, false);
  }

  /**
   * Single sign-on: the session's user authenticated earlier for another application, so no
   * login ran in this flow. oidc-provider asks for consent the first time an application is
   * used in a session, so the rules run here for it, once, before anything is granted. The
   * connection is the user's first identity's, the one the session most likely used.
   */
  async function singleSignOnAllowed(ctx: Context, details: Details): Promise<boolean> {
    if (details.lastSubmission?.['login'] || !details.session?.accountId) return true;
    const profile = await profiles.getProfile(details.session.accountId);
    if (!profile || profile.blocked) throw new errors.AccessDenied('this account is blocked');
    const [identity] = profile.identities;
    const connection = identity ? await connections.findByName(identity.connection) : null;
    return rulesAllow(ctx, details, profile, { name: connection?.name ?? '', strategy: connection?.strategy ?? identity?.provider ?? '' });
  }

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/:uid', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name === 'login') {
      const requested = requestedConnection(details);
      const { credentials, redirects } = await offered(details);
      if (requested !== undefined && credentials.length === 0 && redirects.length === 0) {
        throw new errors.InvalidRequest(`connection "${requested}" is not enabled for this application`);
      }
      // docs/contract.md: `connection=<name>` of a federated connection goes straight to the upstream's page.
      const [only] = redirects;
      if (requested !== undefined && only) {
        ctx.status = 303;
        return ctx.redirect(`/interaction/${details.uid}/connection/${encodeURIComponent(only.name)}`);
      }
      return renderLogin(ctx, details);
    }

    const client = await providers.provider.Client.find(clientIdOf(details));
    if (!client) throw new errors.InvalidClient('client not found');
    if (client['is_first_party'] === true) {
      if (!(await singleSignOnAllowed(ctx, details))) return;
      return finish(ctx, { consent: await grantConsent(providers.provider, details) }, true);
    }
    const missingScopes = (details.prompt.details['missingOIDCScope'] as string[] | undefined) ?? [];
    // The management API is the only resource; its scopes are what grantConsent will add for it.
    const missingResourceScopes = Object.values((details.prompt.details['missingResourceScopes'] as Record<string, string[]> | undefined) ?? {});
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

    const { credentials } = await offered(details);
    const connection = chosen === undefined ? credentials[0] : credentials.find((candidate) => candidate.name === chosen);
    if (!connection) {
      ctx.status = 400;
      return renderLogin(ctx, details, {
        error: chosen === undefined ? 'No login method is enabled for this application.' : `Connection "${chosen}" is not enabled for this application.`,
      });
    }
    let userId: string;
    try {
      // ctx.ip is the address app.ts trusts (TRUST_PROXY), the one last_ip and the rules see.
      const attempt = await loginAttempts.begin(loginSubject(connection.id, username), ctx.ip);
      try {
        const strategy = strategies.get(connection.strategy);
        if (strategy?.kind !== 'credentials') throw new Error(`connection ${connection.name} takes no password`);
        userId = (await connectionLogin.login(connection, await strategy.authenticate(connection, username, password))).userId;
      } catch (error) {
        if (!isDomainError(error, 'auth.invalid_credentials')) await attempt.inconclusive();
        else if (await attempt.failed()) log.warn({ connection: connection.name, ip: ctx.ip }, 'login name blocked for this IP after too many failed attempts');
        throw error;
      }
      await attempt.succeeded();
    } catch (error) {
      const failure = loginFailure(error);
      if (!failure) throw error;
      log.info({ connection: connection.name, client_id: details.params['client_id'], code: failure.code, reason: failure.message }, 'login failed');
      ctx.status = failure.status;
      if (failure.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
      return renderLogin(ctx, details, { error: failure.message, username });
    }
    return completeLogin(ctx, details, userId, connection, username);
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
      await flows.save(flowId, { kind: 'upstream', uid: details.uid, connectionId: connection.id, state: begun.state }, UPSTREAM_FLOW_TTL_SECONDS);
    } catch (error) {
      const failure = loginFailure(error);
      if (!failure) throw error;
      log.warn({ connection: connection.name, code: failure.code, reason: failure.message }, 'upstream login could not start');
      ctx.status = failure.status;
      return renderLogin(ctx, details, { error: failure.message });
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
    return finish(ctx, { consent: await grantConsent(providers.provider, details) }, true);
  });

  router.get('/:uid/abort', async (ctx) => {
    await load(ctx);
    return finish(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
  });

  return router;
}
