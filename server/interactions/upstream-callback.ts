/**
 * Where upstream providers send the browser back: `$ISSUER/login/callback`, the OIDC
 * redirect_uri and the SAML assertion consumer service. The flow named by `state` (or SAML's
 * RelayState) is taken once, the upstream's answer checked by its strategy, the user
 * persisted, and the browser sent on to its interaction, which only that browser can resume.
 */
import Router from '@koa/router';
import parseBody from 'co-body';
import type { Context } from 'koa';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import type { Strategies } from '../connections/strategies.js';
import type { FlowState } from '../connections/strategy.js';
import { UPSTREAM_CALLBACK_PATH } from '../connections/upstream-callback-url.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LoginOutcomes } from '../metrics/login-outcomes.js';
import type { ConnectionLogin } from '../profiles/connection-login.js';
import { loginFailure } from './login-failure.js';
import { newFlowId, UPSTREAM_FLOW_TTL_SECONDS, type UpstreamResult } from './upstream-flow.js';
import { errorPage } from './views.js';

export interface UpstreamCallbackDependencies {
  connections: ConnectionQueries;
  strategies: Strategies;
  connectionLogin: ConnectionLogin;
  flows: LoginFlowQueries;
  loginOutcomes: LoginOutcomes;
  logger: Logger;
}

interface UpstreamFlow {
  kind: 'upstream';
  uid: string;
  connectionId: string;
  state: FlowState;
}

// SAML responses carry a signed XML document and certificates; a few dozen kB is usual.
const BODY_LIMIT = '512kb';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function createUpstreamCallbackRouter({
  connections,
  strategies,
  connectionLogin,
  flows,
  loginOutcomes,
  logger,
}: UpstreamCallbackDependencies) {
  const router = new Router();
  const log = logger.child({ component: 'upstream-login' });

  function refuse(ctx: Context, code: ErrorCode, message: string, uid?: string) {
    ctx.status = ERROR_CODES[code].http;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = errorPage('Login failed', message, uid ? `/interaction/${uid}` : undefined);
  }

  async function callback(ctx: Context) {
    const body = ctx.method === 'POST' ? ((await parseBody.form(ctx, { limit: BODY_LIMIT })) as Record<string, unknown>) : {};
    const url = new URL(ctx.href);
    const flowId =
      text(url.searchParams.get('state')) ?? text(body['RelayState']) ?? text(body['state']) ?? text(url.searchParams.get('RelayState'));
    if (!flowId) {
      log.info({ method: ctx.method }, 'upstream callback without state');
      return refuse(
        ctx,
        'auth.invalid_response',
        'This login answer names no login in progress (missing state). Please start again from the application.',
      );
    }
    const flow = (await flows.take(flowId)) as Partial<UpstreamFlow> | undefined;
    if (flow?.kind !== 'upstream' || !flow.uid || !flow.connectionId) {
      log.info('upstream callback with an unknown, expired or already used state');
      return refuse(
        ctx,
        'auth.invalid_response',
        'This login has expired, was already used, or does not match its state. Please start again from the application.',
      );
    }
    const connection = await connections.findById(flow.connectionId);
    const strategy = connection ? strategies.get(connection.strategy) : undefined;
    if (!connection || strategy?.kind !== 'redirect')
      return refuse(ctx, 'connection.not_enabled', 'The connection of this login no longer exists.');

    let userId: string;
    try {
      const upstream = await strategy.complete(connection, flow.state ?? {}, { method: ctx.method, url, body });
      userId = (await connectionLogin.login(connection, upstream)).userId;
    } catch (error) {
      const failure = loginFailure(error);
      if (!failure) throw error;
      log.warn({ connection: connection.name, code: failure.code, reason: failure.message }, 'upstream login failed');
      loginOutcomes.record(connection.name, failure.code);
      return refuse(ctx, failure.code, failure.message, flow.uid);
    }
    const resultId = newFlowId();
    const result: UpstreamResult = { kind: 'result', uid: flow.uid, userId, connectionId: connection.id };
    await flows.save(resultId, { ...result }, UPSTREAM_FLOW_TTL_SECONDS);
    ctx.status = 303;
    ctx.redirect(`/interaction/${flow.uid}/resume/${resultId}`);
  }

  router.get(UPSTREAM_CALLBACK_PATH, callback);
  router.post(UPSTREAM_CALLBACK_PATH, callback);
  return router;
}
