/**
 * Inside oidc-provider, a store outage must reach the provider's error handler as an OAuth
 * error it shows (HTTP 503, `temporarily_unavailable`) rather than as an unknown error, which
 * it answers 500 `server_error`. The provider's storage, its account lookups and the rules'
 * claims are wrapped here: what they throw because a store is down is turned into that error.
 * @see node_modules/oidc-provider/lib/shared/error_handler.js (status from `statusCode`, body from an exposed error)
 */
import { errors } from 'oidc-provider';
import { asStoreUnavailable, type DomainError } from '../errors.js';

/**
 * Shown as a page, never sent to the client's redirect_uri: the flow could not go on anyway,
 * and the person in front of the page can simply try again.
 */
export class StoreUnavailable extends errors.TemporarilyUnavailable {
  override allow_redirect = false;

  constructor(outage: DomainError) {
    super(outage.message, { cause: outage });
    this.status = 503;
    this.statusCode = 503;
  }
}

function asOAuthError(error: unknown): unknown {
  const outage = asStoreUnavailable(error);
  return outage ? new StoreUnavailable(outage) : error;
}

/** The same object, whose methods throw StoreUnavailable instead of a store's outage error. */
export function outagesAsOAuthErrors<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(object, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(asOAuthError(error))) : result;
        } catch (error) {
          throw asOAuthError(error);
        }
      };
    },
  });
}
