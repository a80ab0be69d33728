/**
 * The one handler of errors escaping a Tessera route (oidc-provider renders its own): a page,
 * or OAuth error JSON for a client that asks for JSON. A domain error answers with the status
 * and OAuth error of its code (server/errors.ts) and its safe message, a store outage as the
 * 'store.unavailable' one; an error of oidc-provider (a lost interaction) or of Koa (a body too
 * large) with its own status when it is the client's; anything else a generic 500 with the
 * details only in the log. Every 503, oidc-provider's included, says when to retry, and a
 * refusal that passes (server/abuse/retry-later.ts) how long.
 */
import { type Context, HttpError, type Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { retryAfterOf } from './abuse/retry-later.js';
import { asStoreUnavailable, type DomainError, isDomainError, STORE_RETRY_AFTER_SECONDS } from './errors.js';
import { errorPage } from './interactions/views.js';
import type { Logger } from './logger.js';
import { visitorMessageOf } from './sandbox/code-failure.js';

interface Answer {
  status: number;
  title: string;
  message: string;
  /** The OAuth error code, for a client that reads JSON. */
  error: string;
  retryAfterSeconds?: number | undefined;
}

const INTERNAL: Answer = {
  status: 500,
  title: 'Something went wrong',
  message: 'The server could not complete this request. Please try again.',
  error: 'server_error',
};

/** The domain error an error is, stands for inside oidc-provider (server/oidc/oauth-errors.ts), or reports as a store outage. */
function domainErrorOf(error: unknown): DomainError | undefined {
  if (isDomainError(error)) return error;
  if (error instanceof errors.OIDCProviderError && isDomainError(error.cause)) return error.cause;
  return asStoreUnavailable(error);
}

function answerOf(error: DomainError): Answer {
  const status = error.httpStatus;
  return {
    status,
    title: status === 503 ? 'Temporarily unavailable' : status >= 500 ? INTERNAL.title : 'Request refused',
    message: visitorMessageOf(error),
    error: error.oauthError,
    retryAfterSeconds: retryAfterOf(error),
  };
}

/** oidc-provider's errors and Koa's HTTP errors say whether they are the client's (`expose`), and with which status. */
function clientMistakeOf(error: unknown): Answer | undefined {
  if (error instanceof errors.OIDCProviderError) {
    if (!error.expose || error.status >= 500) return undefined;
    const title = error.error === 'invalid_request' ? 'Request refused' : error.error;
    return { status: error.status, title, message: error.error_description ?? error.error, error: error.error };
  }
  if (error instanceof HttpError && error.expose && error.status < 500) {
    return { status: error.status, title: 'Request refused', message: error.message, error: 'invalid_request' };
  }
  return undefined;
}

function render(ctx: Context, answer: Answer): void {
  ctx.status = answer.status;
  if (answer.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(answer.retryAfterSeconds));
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: answer.error, error_description: answer.message };
    return;
  }
  ctx.type = 'html';
  ctx.body = errorPage(answer.title, answer.message);
}

export function renderErrors(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      ctx.set('Cache-Control', 'no-store');
      const domainError = domainErrorOf(caught);
      const answer = domainError ? answerOf(domainError) : clientMistakeOf(caught);
      if (domainError?.code === 'store.unavailable') {
        // The store's own log line says it is down, once; one per refused request would drown it.
        logger.debug({ err: domainError.cause, path: ctx.path }, 'request refused: store unavailable');
      } else if (answer) {
        logger.info({ status: answer.status, error: answer.error, code: domainError?.code, message: answer.message }, 'request refused');
      } else {
        logger.error({ err: caught, path: ctx.path }, 'request failed');
      }
      render(ctx, answer ?? INTERNAL);
    } finally {
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    }
  };
}

/** How a connection ends when the client stopped reading: its own doing, not a fault of ours. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Koa's 'error' listener: what fails after the answer has started (a streamed page or asset the
 * client stopped reading), which renderErrors can no longer turn into an answer. Without it Koa
 * prints the stack to stderr.
 */
export function logLateErrors(logger: Logger) {
  return (error: unknown, ctx?: Context) => {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && CLIENT_GONE.has(code)) {
      logger.debug({ path: ctx?.path, code }, 'the client went away before the answer was sent');
    } else {
      logger.error({ err: error, path: ctx?.path }, 'the answer failed after it had started');
    }
  };
}
