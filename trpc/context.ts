/**
 * The per-request context: the services procedures call, and the caller proven by the bearer
 * token (or why there is none; the auth middleware turns that into UNAUTHORIZED).
 */
import type { IncomingMessage } from 'node:http';
import type { RequestLimitState } from '../server/abuse/request-limit.js';
import type { ManagementServices } from '../server/management.js';
import { type AccessTokenVerifier, type ApiCaller, InvalidAccessTokenError } from '../server/oidc/access-tokens.js';

export interface Context {
  services: ManagementServices;
  caller: ApiCaller | undefined;
  authProblem: string | undefined;
  /**
   * The caller's address as the app trusts it (TRUST_PROXY), for limits that count by address
   * as the login form's do; absent for callers in the same process.
   */
  ip?: string | undefined;
  /** Told where the caller stands against its request limit after each call (the REST API sends it as headers). */
  reportLimit?: ((state: RequestLimitState) => void) | undefined;
}

export function createContextFactory(services: ManagementServices, verify: AccessTokenVerifier) {
  return async function createContext({ req, ip }: { req: IncomingMessage; ip?: string | undefined }): Promise<Context> {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      return { services, caller: undefined, authProblem: header ? 'malformed Authorization header' : 'missing bearer token', ip };
    }
    try {
      return { services, caller: await verify(match[1]), authProblem: undefined, ip };
    } catch (error) {
      if (error instanceof InvalidAccessTokenError)
        return { services, caller: undefined, authProblem: `invalid access token: ${error.message}`, ip };
      throw error;
    }
  };
}
