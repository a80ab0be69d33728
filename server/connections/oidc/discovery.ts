/**
 * The openid-client Configuration of each oidc connection: the upstream's discovery document,
 * the client authentication and the upstream's key cache. Kept per connection for a while, and
 * built again as soon as the options it was built from change, so an update is honoured by
 * the very next login. A failed discovery is not kept.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 */
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { isLoopbackHttp, type OidcOptions } from './options.js';

export const DISCOVERY_TTL_MS = 10 * 60 * 1000;

interface Entry {
  fingerprint: string;
  expiresAt: number;
  configuration: Promise<oidc.Configuration>;
}

/** What a Configuration is built from; hashed, so the cache's keys hold no secret. */
function fingerprintOf(options: OidcOptions): string {
  const { issuer, client_id, client_secret, token_endpoint_auth_method, timeout_ms } = options;
  return createHash('sha256')
    .update(JSON.stringify([issuer, client_id, client_secret, token_endpoint_auth_method, timeout_ms]))
    .digest('base64url');
}

function clientAuthentication(options: OidcOptions): oidc.ClientAuth {
  if (options.client_secret === undefined) return oidc.None();
  return options.token_endpoint_auth_method === 'client_secret_post'
    ? oidc.ClientSecretPost(options.client_secret)
    : oidc.ClientSecretBasic(options.client_secret);
}

export function discover(options: OidcOptions): Promise<oidc.Configuration> {
  const issuer = new URL(options.issuer);
  return oidc.discovery(issuer, options.client_id, undefined, clientAuthentication(options), {
    // Seconds; it also bounds every later request made with this Configuration.
    timeout: options.timeout_ms / 1000,
    execute: isLoopbackHttp(issuer) ? [oidc.allowInsecureRequests] : [],
  });
}

export function createDiscoveryCache(ttlMs = DISCOVERY_TTL_MS) {
  const entries = new Map<string, Entry>();

  function forgetExpired(now: number) {
    for (const [connectionId, entry] of entries) if (entry.expiresAt <= now) entries.delete(connectionId);
  }

  return {
    configuration(connectionId: string, options: OidcOptions): Promise<oidc.Configuration> {
      const now = Date.now();
      const fingerprint = fingerprintOf(options);
      const cached = entries.get(connectionId);
      if (cached && cached.fingerprint === fingerprint && cached.expiresAt > now) return cached.configuration;
      forgetExpired(now);
      const configuration = discover(options);
      const entry = { fingerprint, expiresAt: now + ttlMs, configuration };
      entries.set(connectionId, entry);
      configuration.catch(() => {
        if (entries.get(connectionId) === entry) entries.delete(connectionId);
      });
      return configuration;
    },
  };
}

export type DiscoveryCache = ReturnType<typeof createDiscoveryCache>;
