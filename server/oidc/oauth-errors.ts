/**
 * Inside oidc-provider, a domain error must reach the provider's error handler as an OAuth error
 * it shows, with the status and OAuth error of its code (server/errors.ts), rather than as an
 * unknown error, which it answers 500 `server_error`. A store outage is the 'store.unavailable'
 * domain error: HTTP 503, `temporarily_unavailable`. The provider's storage, its account
 * lookups and the rules' claims are wrapped here; Tessera's own hooks throw a `DomainOAuthError`.
 * @see node_modules/oidc-provider/lib/shared/error_handler.js (status from `statusCode`, body from an exposed error)
 */
import { errors } from 'oidc-provider';
import { asStoreRefusal, type DomainError, isDomainError } from '../errors.js';
import { visitorMessageOf } from '../sandbox/code-failure.js';

/**
 * Shown as a page, never sent to the client's redirect_uri: these errors are about Tessera's
 * state, not the client's request, and the person in front of the page can simply try again.
 */
export class DomainOAuthError extends errors.OIDCProviderError {
  override allow_redirect = false;

  constructor(readonly domainError: DomainError) {
    super(domainError.httpStatus, domainError.oauthError, { cause: domainError });
    this.error_description = visitorMessageOf(domainError);
    // oidc-provider exposes only errors under 500 by default; a domain error's message is safe at any status.
    this.expose = true;
  }
}

/** The OAuth error a domain error or a store's refusal (server/errors.ts) surfaces as inside oidc-provider; any other error as it is. */
export function asOAuthError(error: unknown): unknown {
  const domainError = isDomainError(error) ? error : asStoreRefusal(error);
  return domainError ? new DomainOAuthError(domainError) : error;
}

/** The method, throwing a DomainOAuthError instead of a domain error or a store's outage error. */
function convertingErrors(method: (...args: unknown[]) => unknown, object: object) {
  return (...args: unknown[]) => {
    try {
      const result: unknown = method.apply(object, args);
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(asOAuthError(error))) : result;
    } catch (error) {
      throw asOAuthError(error);
    }
  };
}

/**
 * The same object, whose methods throw a DomainOAuthError instead of a domain error or a
 * store's outage error. Each method is wrapped once, on first use: these objects are read on
 * every token lookup.
 */
export function domainErrorsAsOAuthErrors<T extends object>(target: T): T {
  const converted = new WeakMap<object, unknown>();
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      let wrapper = converted.get(value);
      if (!wrapper) {
        wrapper = convertingErrors(value as (...args: unknown[]) => unknown, object);
        converted.set(value, wrapper);
      }
      return wrapper;
    },
  });
}

/** oidc-provider's refusal of client metadata, naming the property at fault: Tessera's own validators throw it (server/oidc/provider.ts). */
export class InvalidClientProperty extends errors.InvalidClientMetadata {
  constructor(
    readonly property: string,
    description: string,
  ) {
    super(description);
  }
}
