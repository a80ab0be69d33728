/**
 * The baseline: a bare oidc-provider as npm publishes it (not Tessera's patched copy, see
 * `patches/`), with its default in-memory adapter (or, given one, another adapter) and one
 * static client, configured like Tessera's provider for everything the scenarios touch.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider-published';
import { freePort } from '../adapters/postgres/free-port.js';
import { OIDC_SCOPES, SCOPE_CLAIMS } from '../server/oidc/claims.js';
import { generateSigningKey } from '../server/oidc/key-store.js';
import { API_ACCESS_TOKEN_TTL_SECONDS, ARTIFACT_TTL_SECONDS } from '../server/oidc/lifetimes.js';
import { MANAGEMENT_SCOPES, managementAudience } from '../server/oidc/management-api.js';
import type { Target } from './target.js';
import { REDIRECT_URI } from './target.js';

const ACCOUNT_CLAIMS = {
  name: 'Bench User',
  given_name: 'Bench',
  family_name: 'User',
  nickname: 'bench',
  locale: 'en',
  email: 'bench@example.com',
  email_verified: true,
};

function isClientCredentials(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials';
}

/** A store the bare provider can be given instead of its in-memory adapter. */
export interface BaselineStore {
  adapter: new (model: string) => Adapter;
  /** Wraps each request, for a store that holds responses until their writes commit. */
  aroundRequest?(next: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** RS256 unless told: the bare provider as the benchmark of record measures it. */
export type ApiSigningAlg = 'RS256' | 'ES256';

export async function startBaselineProvider(store?: Omit<BaselineStore, 'close'>, apiSigningAlg: ApiSigningAlg = 'RS256'): Promise<Target> {
  const adapter = store?.adapter;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const audience = managementAudience(issuer);
  const client = { clientId: 'baseline-client', clientSecret: randomBytes(32).toString('base64url') };
  // The same key types Tessera generates, so both sign with an RSA-2048 RS256 key.
  const signingKeys = await Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')]);

  const configuration: Configuration = {
    ...(adapter ? { adapter } : {}),
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: signingKeys.map((key) => key.jwk) } as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [...OIDC_SCOPES],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    routes: { userinfo: '/userinfo' },
    rotateRefreshToken: true,
    ttl: { ...ARTIFACT_TTL_SECONDS },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: () => ({ sub, ...ACCOUNT_CLAIMS }) };
    },
    features: {
      // Chosen over minting tokens by hand: the baseline's user tokens then come from the same
      // real authorization-code login as Tessera's, through oidc-provider's own login and consent forms.
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          return isClientCredentials(ctx) ? audience : undefined;
        },
        useGrantedResource: () => true,
        async getResourceServerInfo(ctx, resourceIndicator) {
          if (resourceIndicator !== audience) throw new errors.InvalidTarget();
          return {
            scope: isClientCredentials(ctx) ? MANAGEMENT_SCOPES.join(' ') : '',
            audience,
            accessTokenTTL: API_ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: apiSigningAlg } },
          };
        },
      },
    },
  };

  const provider = new Provider(issuer, configuration);
  const aroundRequest = store?.aroundRequest;
  if (aroundRequest) provider.use((_ctx, next) => aroundRequest(next));
  const server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  return {
    name: 'baseline',
    issuer,
    machineClient: client,
    webClient: client,
    // The dev login form accepts any login and password; the login becomes the account id.
    loginForm: { login: 'bench-user', password: 'any' },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The bare provider over a store opened for it; stopping it closes the store, then releases what the store ran on. */
export async function startBaselineOver(store: BaselineStore, release: () => Promise<void> = async () => {}): Promise<Target> {
  const target = await startBaselineProvider(store);
  return {
    ...target,
    async stop() {
      try {
        await target.stop();
        await store.close();
      } finally {
        await release();
      }
    },
  };
}
