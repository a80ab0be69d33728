/**
 * node-oidc-provider configured as docs/contract.md fixes it: code + PKCE, rotating refresh tokens,
 * client_credentials for the management API and the registered APIs, introspection, revocation, RP-initiated logout,
 * claims by scope in the ID token too, HS256 ID tokens for clients that ask for them.
 */
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AdapterFactory } from '../../adapters/oidc/types.js';
import type { ClientSecretGuard } from '../abuse/client-authentication.js';
import type { Config } from '../config.js';
import { trusted } from '../interactions/html.js';
import { errorPage, loggedOutPage, logoutPage } from '../interactions/views.js';
import type { Logger } from '../logger.js';
import { ACR_VALUES } from '../mfa/authentication-methods.js';
import { MFA_POLICIES, MFA_POLICY_METADATA, policyOf } from '../mfa/mfa-policy.js';
import type { ProfileService } from '../profiles/profile-service.js';
import type { ResourceServerRegistry } from '../resource-servers/resource-server-registry.js';
import { releaseCustomIdTokenClaims } from '../rules/custom-claims.js';
import type { RuleClaimsStore } from '../rules/rule-claims.js';
import { SAML_ADDON, samlAddonProblem, withSamlCallback } from '../saml-idp/addon.js';
import { OIDC_SCOPES, profileToClaims, SCOPE_CLAIMS } from './claims.js';
import { CLIENT_DEFAULTS } from './client-defaults.js';
import { createCookieSigner } from './cookie-signing.js';
import type { KeyMaterial } from './key-store.js';
import { PROVIDER_TTL } from './lifetimes.js';
import { isManagementScopeList, MANAGEMENT_SCOPES, managementAudience } from './management-api.js';
import { interactionPolicyWithStepUp } from './multi-factor-check.js';
import { domainErrorsAsOAuthErrors, InvalidClientProperty } from './oauth-errors.js';
import { requireConsentForOfflineAccess } from './offline-access.js';
import { pkceRequired, REQUIRE_PKCE } from './pkce-policy.js';
import { createResourceServerInfo, isClientCredentials } from './resource-server-info.js';
import { commitTokenWrites } from './token-writes.js';

export interface ProviderDependencies {
  config: Config;
  adapter: AdapterFactory;
  keys: KeyMaterial;
  profiles: ProfileService;
  ruleClaims: Pick<RuleClaimsStore, 'read'>;
  logger: Logger;
  /** Counts and blocks wrong client secrets (server/abuse/client-authentication.ts). */
  guardClientSecrets: ClientSecretGuard;
  /** The APIs a client may name as `resource`, the management API among them. */
  resourceServers: Pick<ResourceServerRegistry, 'find'>;
  /** Whether a user holds a second factor: whether a single-factor session must step up (multi-factor-check.ts). */
  enrolled(userId: string): Promise<boolean>;
}

function clientName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc.client;
  return client ? (client.clientName ?? client.clientId) : undefined;
}

export function createProvider({
  config,
  adapter,
  keys,
  profiles,
  ruleClaims,
  logger,
  guardClientSecrets,
  resourceServers,
  enrolled,
}: ProviderDependencies): Provider {
  const audience = managementAudience(config.issuer);
  // What the provider reads and writes, with a domain error (a store outage: 503 temporarily_unavailable) as an OAuth error.
  const stores = {
    adapter: (model: string) => domainErrorsAsOAuthErrors(adapter(model)),
    profiles: domainErrorsAsOAuthErrors(profiles),
    ruleClaims: domainErrorsAsOAuthErrors(ruleClaims),
    resourceServers: domainErrorsAsOAuthErrors(resourceServers),
    secondFactors: domainErrorsAsOAuthErrors({ enrolled }),
  };

  const configuration: Configuration = {
    adapter: stores.adapter,
    jwks: { keys: keys.signingKeys.map((key) => key.jwk) } as Configuration['jwks'],
    cookies: { keys: createCookieSigner(keys.cookieKeys) },
    scopes: [...OIDC_SCOPES],
    // acr and amr come from the session, not the profile: with `openid`, every ID token says how its login was authenticated.
    claims: {
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
      openid: ['sub', 'acr', 'amr'],
    },
    // docs/contract.md puts the scope's claims in the ID token as well as at userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    routes: { userinfo: '/userinfo' },
    acrValues: [...ACR_VALUES],
    extraParams: ['connection'],
    extraClientMetadata: {
      properties: ['is_first_party', 'description', 'management_scopes', REQUIRE_PKCE, SAML_ADDON, MFA_POLICY_METADATA],
      validator(_ctx, key, value, metadata) {
        if (value === undefined) return;
        if (key === 'description' && typeof value !== 'string') throw new InvalidClientProperty(key, 'description must be a string');
        if ((key === 'is_first_party' || key === REQUIRE_PKCE) && typeof value !== 'boolean') {
          throw new InvalidClientProperty(key, `${key} must be a boolean`);
        }
        if (key === 'management_scopes' && !isManagementScopeList(value)) {
          throw new InvalidClientProperty(key, `management_scopes must be an array of: ${MANAGEMENT_SCOPES.join(', ')}`);
        }
        if (key === MFA_POLICY_METADATA && policyOf(value) === undefined) {
          throw new InvalidClientProperty(key, `${key} must be one of: ${MFA_POLICIES.join(', ')}`);
        }
        if (key === SAML_ADDON) {
          const problem = samlAddonProblem(value);
          if (problem) throw new InvalidClientProperty(key, problem);
          // Runs before redirect_uris is checked, and on every load: the SAML callback is allowed, never stored.
          metadata.redirect_uris = withSamlCallback(config.issuer, metadata.client_id, metadata.redirect_uris);
        }
      },
    },
    clientDefaults: {
      ...CLIENT_DEFAULTS,
      grant_types: [...CLIENT_DEFAULTS.grant_types],
      response_types: [...CLIENT_DEFAULTS.response_types],
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA', 'HS256'],
      userinfoSigningAlgValues: ['RS256', 'ES256', 'EdDSA', 'HS256'],
    },
    pkce: { required: (_ctx, client) => pkceRequired(client) },
    rotateRefreshToken: true,
    ttl: PROVIDER_TTL,
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithStepUp({ globalPolicy: config.mfaPolicy, enrolled: stores.secondFactors.enrolled }),
    },
    // oidc-provider refuses outgoing requests to private and loopback addresses, a guard
    // against URLs from untrusted, self-registered clients. Tessera's clients are registered
    // by operators only, and back-channel logout endpoints on the internal network are the
    // common case for a self-hosted provider; the 2.5 s timeout still applies.
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    // Machine tokens get Auth0's `gty`, so an API tells them from users' own tokens by a signed
    // claim; users' tokens get the access-token claims the rules set at their latest login here.
    async extraTokenClaims(ctx, token) {
      if (token.kind === 'ClientCredentials') return { gty: 'client-credentials' };
      const { accountId, clientId } = token;
      return accountId && clientId ? (await stores.ruleClaims.read(accountId, clientId, ctx))?.accessToken : undefined;
    },

    async findAccount(ctx, sub) {
      const profile = await stores.profiles.getProfile(sub);
      // A blocked or deleted user has no account: sessions, userinfo and refreshes fail.
      if (!profile || profile.blocked) return undefined;
      return {
        accountId: sub,
        async claims(use) {
          const claims = profileToClaims(profile);
          const clientId = ctx.oidc.client?.clientId;
          // Rules' ID-token claims describe a login, so they stay out of userinfo, which describes the profile.
          if (use !== 'id_token' || !clientId) return claims;
          return { ...(await stores.ruleClaims.read(sub, clientId, ctx))?.idToken, ...claims };
        },
      };
    },

    features: {
      devInteractions: { enabled: false },
      // A client learns about its own tokens only; no resource server here needs more.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = logoutPage(trusted(form), clientName(ctx));
        },
        postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = loggedOutPage(clientName(ctx));
        },
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          return isClientCredentials(ctx) ? audience : undefined;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: createResourceServerInfo(stores.resourceServers, stores.profiles),
      },
    },

    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Something went wrong', [out.error, out.error_description].filter(Boolean).join(': '));
    },
  };

  const provider = new Provider(config.issuer, configuration);
  releaseCustomIdTokenClaims(provider);
  guardClientSecrets(provider);
  // oidc-provider answers its own 500s with a generic server_error; the cause goes to the log.
  provider.on('server_error', (ctx, error) => logger.error({ err: error, path: ctx.path }, 'oidc-provider server error'));
  provider.use(requireConsentForOfflineAccess);
  provider.use(commitTokenWrites(logger));
  return provider;
}
