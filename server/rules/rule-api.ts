/**
 * The `api` a post-login rule receives: custom claims for the ID token and the access token,
 * metadata writes, denial, and a second factor for this login. It lives in the rule's worker thread (server/sandbox): each
 * call is checked there at once and recorded as plain data; a wrong call throws to the rule
 * and also marks the rule as failed, so catching the error does not let the login through.
 */
import { claimNameProblem } from './custom-claims.js';

export interface PostLoginApi {
  readonly idToken: { setCustomClaim(name: string, value: unknown): void };
  readonly accessToken: { setCustomClaim(name: string, value: unknown): void };
  readonly user: {
    /** `null` removes the key. */
    setAppMetadata(name: string, value: unknown): void;
    setUserMetadata(name: string, value: unknown): void;
  };
  readonly access: { deny(reason: string): void };
  /** As Auth0 Actions: `enable('any')` asks this login for a second factor of any kind the user holds, whatever the policy. */
  readonly multifactor: { enable(provider: string, options?: unknown): void };
}

/** What one rule asked for, applied by the runner once the rule has returned. */
export interface RuleEffects {
  readonly idTokenClaims: Record<string, unknown>;
  readonly accessTokenClaims: Record<string, unknown>;
  readonly appMetadata: Record<string, unknown>;
  readonly userMetadata: Record<string, unknown>;
  denied: string | undefined;
  /** api.multifactor.enable was called. */
  multifactor: boolean;
  /** The first wrong api call, even if the rule caught its error. */
  misuse: string | undefined;
}

export class RuleApiError extends Error {
  override name = 'RuleApiError';
}

const METADATA_KEY_MAX = 255;
const REASON_MAX = 500;

/** A JSON copy, so the rule cannot change a value after handing it over. */
function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('not a JSON value');
  return JSON.parse(text) as unknown;
}

/**
 * One rule's api. After `close()` (the rule returned, threw or ran out of time) calls are
 * ignored and reported through `onLateCall`: throwing then could crash the process from a
 * timer the rule left behind.
 */
export function createRuleApi(issuer: string, onLateCall: (method: string) => void) {
  // Without a prototype, a key such as `__proto__` is a key like any other.
  const record = () => Object.create(null) as Record<string, unknown>;
  const effects: RuleEffects = {
    idTokenClaims: record(),
    accessTokenClaims: record(),
    appMetadata: record(),
    userMetadata: record(),
    denied: undefined,
    multifactor: false,
    misuse: undefined,
  };
  let open = true;

  function refuse(message: string): never {
    effects.misuse ??= message;
    throw new RuleApiError(message);
  }

  function json(method: string, value: unknown): unknown {
    try {
      return jsonCopy(value);
    } catch (error) {
      return refuse(`${method}: the value is not JSON (${(error as Error).message})`);
    }
  }

  /** Wraps a method so it runs only while the rule does. */
  function method<A extends unknown[]>(name: string, body: (...args: A) => void) {
    return (...args: A): void => {
      if (open) body(...args);
      else onLateCall(name);
    };
  }

  function claimSetter(name: string, target: Record<string, unknown>) {
    return method(name, (claim: string, value: unknown) => {
      const problem = claimNameProblem(claim, issuer);
      if (problem) refuse(`${name}: ${problem}`);
      target[claim] = json(name, value);
    });
  }

  function metadataSetter(name: string, target: Record<string, unknown>) {
    return method(name, (key: string, value: unknown) => {
      if (typeof key !== 'string' || key.length === 0 || key.length > METADATA_KEY_MAX) {
        refuse(`${name}: the key must be a string of 1 to ${METADATA_KEY_MAX} characters`);
      }
      if (value === undefined) refuse(`${name}("${key}"): the value is undefined; pass null to remove the key`);
      target[key] = value === null ? null : json(name, value);
    });
  }

  const api: PostLoginApi = Object.freeze({
    idToken: Object.freeze({ setCustomClaim: claimSetter('api.idToken.setCustomClaim', effects.idTokenClaims) }),
    accessToken: Object.freeze({ setCustomClaim: claimSetter('api.accessToken.setCustomClaim', effects.accessTokenClaims) }),
    user: Object.freeze({
      setAppMetadata: metadataSetter('api.user.setAppMetadata', effects.appMetadata),
      setUserMetadata: metadataSetter('api.user.setUserMetadata', effects.userMetadata),
    }),
    access: Object.freeze({
      deny: method('api.access.deny', (reason: string) => {
        if (typeof reason !== 'string' || reason.trim() === '' || reason.length > REASON_MAX) {
          refuse(`api.access.deny: the reason must be a non-empty string of at most ${REASON_MAX} characters`);
        }
        effects.denied = reason;
      }),
    }),
    multifactor: Object.freeze({
      // Auth0's other providers (duo, guardian, …) are services Tessera does not have: naming one is a mistake to report.
      enable: method('api.multifactor.enable', (provider: string) => {
        if (provider !== 'any') refuse(`api.multifactor.enable: the provider must be 'any' (got ${JSON.stringify(provider)})`);
        effects.multifactor = true;
      }),
    }),
  });

  return {
    api,
    effects,
    close() {
      open = false;
    },
  };
}
