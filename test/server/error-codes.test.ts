import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { RetryLater } from '../../server/abuse/retry-later.js';
import { DomainError, ERROR_CODES, type ErrorCode } from '../../server/errors.js';
import { loginFailure } from '../../server/interactions/login-failure.js';
import { DomainOAuthError, domainErrorsAsOAuthErrors } from '../../server/oidc/oauth-errors.js';
import { SamlRequestRefused } from '../../server/saml-idp/authn-request.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('the table of error codes', () => {
  it.each(CODES)('gives %s the HTTP status tRPC gives its tRPC code', (code) => {
    const { trpc, http } = ERROR_CODES[code];
    expect(http).toBe(getHTTPStatusCodeFromError(new TRPCError({ code: trpc })));
  });

  it("renders a refused SAML AuthnRequest with its code's 400", () => {
    expect(new SamlRequestRefused('The request carries no SAMLRequest.')).toMatchObject({ code: 'saml.request_refused', httpStatus: 400 });
  });
});

describe('login failures', () => {
  it('take the status of their code from the table', () => {
    expect(loginFailure(new DomainError('auth.invalid_credentials', 'Wrong email or password.'))).toEqual({
      code: 'auth.invalid_credentials',
      status: 401,
      message: 'Wrong email or password.',
    });
    expect(loginFailure(new DomainError('auth.upstream_failed', 'The upstream provider is down.'))?.status).toBe(502);
    expect(loginFailure(new RetryLater('auth.too_many_attempts', 'Too many failed login attempts.', 60))).toMatchObject({
      status: 429,
      retryAfterSeconds: 60,
    });
  });

  it("leave Tessera's own errors, a store outage among them, to the error handler", () => {
    expect(loginFailure(new DomainError('store.unavailable', 'The service is temporarily unavailable.'))).toBeUndefined();
    expect(loginFailure(new DomainError('connection.not_found', 'connection "x" does not exist'))).toBeUndefined();
    expect(loginFailure(new Error('Connection terminated unexpectedly'))).toBeUndefined();
  });
});

describe('domain errors inside oidc-provider', () => {
  const store = domainErrorsAsOAuthErrors({
    async find(): Promise<never> {
      throw new DomainError('user.not_found', 'user auth0|1 does not exist');
    },
    async lost(): Promise<never> {
      throw new Error('Connection terminated unexpectedly');
    },
    broken(): never {
      throw new TypeError('x is undefined');
    },
  });

  it('become the OAuth error, status and safe message of their code, shown as a page rather than sent to the client', async () => {
    const error = await store.find().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainOAuthError);
    expect(error).toMatchObject({
      status: 404,
      statusCode: 404,
      error: 'invalid_grant',
      error_description: 'user auth0|1 does not exist',
      expose: true,
      allow_redirect: false,
    });
  });

  it('include a store outage, which becomes 503 temporarily_unavailable', async () => {
    expect(await store.lost().catch((caught: unknown) => caught)).toMatchObject({
      status: 503,
      error: 'temporarily_unavailable',
      expose: true,
    });
  });

  it('leave any other error as it is, for the provider to answer 500', () => {
    expect(() => store.broken()).toThrow(TypeError);
  });
});
