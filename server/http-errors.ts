/**
 * Turns an error escaping a Tessera route (not oidc-provider's own, which renders its own)
 * into a page: client mistakes get their status and message, anything else a generic 500
 * with the details only in the log.
 */
import type { Middleware } from 'koa';
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
      logger.error({ err: caught, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = errorPage('Something went wrong', 'The server could not complete this request. Please try again.');
    }
  };
}
