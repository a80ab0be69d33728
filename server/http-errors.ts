/**
 * Turns an error escaping a Tessera route (not oidc-provider's own, which renders its own)
 * into a page: client mistakes get their status and message, a store outage a 503 page asking
 * to try again, anything else a generic 500 with the details only in the log. Every 503,
 * oidc-provider's included, says when to retry.
 */
import type { Middleware } from 'koa';
import { STORE_RETRY_AFTER_SECONDS, asStoreUnavailable } from './errors.js';
import type { Logger } from './logger.js';
import { errorPage } from './interactions/views.js';

interface ExposedError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  error_description?: string;
  message?: string;
}

export function errorPages(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = (caught ?? {}) as ExposedError;
      const status = error.status ?? error.statusCode ?? 500;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'html';
      if (status < 500 && error.expose !== false) {
        ctx.status = status;
        const message = error.error_description ?? error.message ?? 'Bad request';
        ctx.body = errorPage(error.error === 'invalid_request' || !error.error ? 'Request refused' : error.error, message);
        logger.info({ status, error: error.error, message }, 'request refused');
        return;
      }
      const outage = asStoreUnavailable(caught);
      if (outage) {
        // The store's own log line says it is down, once; one per refused request would drown it.
        logger.debug({ err: outage.cause, path: ctx.path }, 'request refused: store unavailable');
        ctx.status = 503;
        ctx.body = errorPage('Temporarily unavailable', outage.message);
        return;
      }
      logger.error({ err: caught, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = errorPage('Something went wrong', 'The server could not complete this request. Please try again.');
    } finally {
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    }
  };
}
