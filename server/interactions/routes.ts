/**
 * The login and consent pages behind oidc-provider's interactions. Each route resolves the
 * interaction from its cookie (so a page works only in the browser that started the flow),
 * checks it is the one in the URL, and hands the result back to the provider.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#user-flows
 */
import Router from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { ProviderHost } from '../oidc/provider-host.js';
import { errors } from 'oidc-provider';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { authenticateDatabaseUser } from '../connections/database-connection.js';
import { isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ProfileService } from '../profiles/profile-service.js';
import { grantConsent } from './grant-consent.js';
import { consentPage, loginPage } from './views.js';

export interface InteractionDependencies {
  providers: ProviderHost;
  profiles: ProfileService;
  users: UserQueries;
  connections: ConnectionQueries;
  logger: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const FORM_LIMIT = '16kb';

export function createInteractionRouter({ providers, profiles, users, connections, logger }: InteractionDependencies) {
  const router = new Router({ prefix: '/interaction' });
  const log = logger.child({ component: 'interactions' });

  async function load(ctx: Context): Promise<Details> {
    const details = await providers.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new errors.InvalidRequest('interaction does not match this browser session');
    return details;
  }

  async function finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2], merge: boolean) {
    const returnTo = await providers.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  async function databaseConnectionFor(details: Details) {
    const clientId = String(details.params.client_id);
    const enabled = (await connections.listEnabledForClient(clientId)).filter((c) => c.strategy === 'database');
    const requested = details.params.connection;
    return typeof requested === 'string' ? enabled.find((c) => c.name === requested) : enabled[0];
  }

  async function renderLogin(ctx: Context, details: Details, extra: { error?: string; username?: string } = {}) {
    const client = await providers.provider.Client.find(String(details.params.client_id));
    ctx.type = 'html';
    ctx.body = loginPage({
      action: `/interaction/${details.uid}/login`,
      abortUrl: `/interaction/${details.uid}/abort`,
      clientName: client?.clientName ?? String(details.params.client_id),
      hasDatabaseConnection: Boolean(await databaseConnectionFor(details)),
      ...extra,
    });
  }

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/:uid', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name === 'login') return renderLogin(ctx, details);

    const client = await providers.provider.Client.find(String(details.params.client_id));
    if (!client) throw new errors.InvalidClient('client not found');
    if (client['is_first_party'] === true) {
      return finish(ctx, { consent: await grantConsent(providers.provider, details) }, true);
    }
    const missingScopes = (details.prompt.details['missingOIDCScope'] as string[] | undefined) ?? [];
    const missingResources = Object.keys((details.prompt.details['missingResourceScopes'] as object | undefined) ?? {});
    ctx.type = 'html';
    ctx.body = consentPage({
      action: `/interaction/${details.uid}/confirm`,
      abortUrl: `/interaction/${details.uid}/abort`,
      clientName: client.clientName ?? client.clientId,
      scopes: missingScopes,
      resources: missingResources,
    });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
    const form = (await parseBody.form(ctx, { limit: FORM_LIMIT })) as Record<string, unknown>;
    const username = typeof form['username'] === 'string' ? form['username'] : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';

    const connection = await databaseConnectionFor(details);
    if (!connection) {
      ctx.status = 400;
      return renderLogin(ctx, details, { error: 'No login method is enabled for this application.' });
    }
    let userId: string;
    try {
      userId = await authenticateDatabaseUser(users, connection, username, password);
    } catch (error) {
      if (!isDomainError(error, 'auth.invalid_credentials')) throw error;
      log.info({ connection: connection.name, client_id: details.params.client_id }, 'login failed');
      ctx.status = 401;
      return renderLogin(ctx, details, { error: error.message, username });
    }
    const profile = await profiles.getProfile(userId);
    if (!profile || profile.blocked) {
      log.info({ user_id: userId }, 'login refused: user blocked');
      ctx.status = 403;
      return renderLogin(ctx, details, { error: 'This account is blocked.', username });
    }
    await profiles.recordLogin(userId, ctx.ip);
    log.info({ user_id: userId, connection: connection.name }, 'login succeeded');
    return finish(ctx, { login: { accountId: userId } }, false);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name !== 'consent') throw new errors.InvalidRequest('this interaction is not waiting for consent');
    await parseBody.form(ctx, { limit: FORM_LIMIT });
    return finish(ctx, { consent: await grantConsent(providers.provider, details) }, true);
  });

  router.get('/:uid/abort', async (ctx) => {
    await load(ctx);
    return finish(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
  });

  return router;
}
