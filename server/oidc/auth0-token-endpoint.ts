/**
 * Auth0's token endpoint path, `/oauth/token`, answered by oidc-provider's `/token`. Scripts and
 * SDKs written for Auth0 (the `auth0` package's ManagementClient among them) post there, name the
 * API in `audience` where RFC 8707 says `resource`, and often send JSON, which oidc-provider's
 * token endpoint does not read. The request is rewritten into the one `/token` reads (a form
 * body, `resource` for `audience`, every other parameter as sent, the Authorization header
 * untouched) and the provider does the rest: client authentication (a secret in the body or in
 * HTTP Basic, as at `/token`), the grant, the API and its scopes. Nothing is decided here that
 * `/token` would decide otherwise.
 * @see https://auth0.com/docs/api/authentication#client-credentials-flow
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
import { IncomingMessage } from 'node:http';
import parseBody from 'co-body';
import type { Context, Middleware } from 'koa';
import { DomainError } from '../errors.js';

export const AUTH0_TOKEN_PATH = '/oauth/token';
const PROVIDER_TOKEN_PATH = '/token';
const FORM = 'application/x-www-form-urlencoded';
/** oidc-provider's own limit on a token request's body. */
const MAX_BODY = '56kb';

const refused = (message: string) => new DomainError('input.invalid', message);

/** The posted parameters, in order and with any repeats (the provider refuses repeated ones itself). */
async function postedParameters(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.get('content-type')) return new URLSearchParams();
  if (ctx.is(FORM)) return new URLSearchParams(await parseBody.text(ctx.req, { limit: MAX_BODY }));
  if (!ctx.is('application/json')) {
    throw refused(`only ${FORM} or application/json bodies are supported on POST ${AUTH0_TOKEN_PATH}`);
  }
  const body: unknown = await parseBody.json(ctx.req, { limit: MAX_BODY, strict: true });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refused('the JSON body must be an object');
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw refused(`the parameter ${name} must be a string`);
    parameters.append(name, value);
  }
  return parameters;
}

/** Auth0's single `audience` is RFC 8707's `resource`; both at once would leave the API ambiguous. */
function withResource(parameters: URLSearchParams): URLSearchParams {
  const audiences = parameters.getAll('audience');
  if (audiences.length === 0) return parameters;
  if (audiences.length > 1) throw refused('audience must be given once');
  if (parameters.has('resource')) throw refused('audience and resource name the same thing: send one of them');
  const mapped = new URLSearchParams();
  for (const [name, value] of parameters) mapped.append(name === 'audience' ? 'resource' : name, value);
  return mapped;
}

/**
 * The request oidc-provider reads instead of the client's, whose body this module consumed: the
 * same socket (so the same client address) and headers, with the form body that `/token` reads.
 */
function formRequest(original: IncomingMessage, parameters: URLSearchParams): IncomingMessage {
  const body = Buffer.from(parameters.toString());
  const request = new IncomingMessage(original.socket);
  request.method = original.method ?? 'POST';
  request.url = original.url ?? AUTH0_TOKEN_PATH;
  request.httpVersion = original.httpVersion;
  // The body was decoded (de-chunked, inflated) while it was read: its framing headers describe the client's bytes, not these.
  const { 'transfer-encoding': _framing, 'content-encoding': _encoding, ...headers } = original.headers;
  request.headers = { ...headers, 'content-type': FORM, 'content-length': String(body.length) };
  // As the HTTP parser marks a request it has read whole: destroying an incomplete one after its body is read would close the socket.
  request.complete = true;
  request.push(body);
  request.push(null);
  return request;
}

/** What /token answers for an unreadable request: the OAuth error JSON, never cached. */
function answerRefusal(ctx: Context, error: DomainError): void {
  ctx.status = error.httpStatus;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: error.oauthError, error_description: error.message };
}

/** co-body's refusals (a body too large, JSON that does not parse) are the client's: an invalid_request. */
function unreadable(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return refused('the request body could not be read');
  return undefined;
}

/**
 * `provider` is oidc-provider's middleware. Every method is passed on, so a CORS preflight or a
 * GET is answered as at `/token`; only a POST's body is rewritten.
 */
export function auth0TokenEndpoint(provider: Middleware): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== AUTH0_TOKEN_PATH) return next();
    if (ctx.method === 'POST') {
      try {
        const parameters = withResource(await postedParameters(ctx));
        ctx.req = ctx.request.req = ctx.response.req = formRequest(ctx.req, parameters);
      } catch (error) {
        const refusal = unreadable(error);
        if (!refusal) throw error;
        answerRefusal(ctx, refusal);
        return;
      }
    }
    ctx.path = PROVIDER_TOKEN_PATH;
    try {
      await provider(ctx, next);
    } finally {
      ctx.path = AUTH0_TOKEN_PATH;
    }
  };
}
