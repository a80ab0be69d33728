/**
 * oidc-provider's `getResourceServerInfo`: what an access token for the API a client named as
 * `resource` carries. The API comes from the registry (server/resource-servers/); its audience,
 * lifetime and signing algorithm come with it. With client_credentials a client gets the
 * management scopes its `management_scopes` allow, or for a custom API the scopes its client
 * grant names; a client without a grant for a custom API is refused with `invalid_target`. A
 * user's token gets the self-service scopes for the management API and the management scopes
 * the user holds, any scope a custom API defines otherwise, each only as far as the user
 * consented and the client asked.
 * @see https://auth0.com/docs/get-started/applications/application-access-to-apis-client-credentials-flow
 */
import { errors, type KoaContextWithOIDC, type ResourceServer as ResourceServerInfo } from 'oidc-provider';
import type { ProfileService } from '../profiles/profile-service.js';
import type { ResourceServer, ResourceServerRegistry } from '../resource-servers/resource-server-registry.js';
import { allowedManagementScopes, SELF_SERVICE_SCOPES } from './management-api.js';

export function isClientCredentials(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials';
}

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

/** The scopes a machine client may get for the API; undefined when it has no grant for a custom API. */
function machineScopes(api: ResourceServer, client: Client): readonly string[] | undefined {
  if (api.is_system) return allowedManagementScopes(client['management_scopes']);
  return api.client_grants.find((grant) => grant.client_id === client.clientId)?.scope;
}

/**
 * The management scopes a user's token may carry: those the user holds now (read at every
 * authorization, code exchange and refresh, so a removed scope is gone from the next token),
 * and only through a first-party client: an operator's powers are never handed to a third
 * party, consent or not.
 */
async function heldScopes(ctx: KoaContextWithOIDC, client: Client, profiles: Pick<ProfileService, 'getProfile'>): Promise<string[]> {
  const accountId = ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId;
  if (!accountId || client['is_first_party'] !== true) return [];
  return allowedManagementScopes((await profiles.getProfile(accountId))?.management_scopes);
}

export function createResourceServerInfo(registry: Pick<ResourceServerRegistry, 'find'>, profiles: Pick<ProfileService, 'getProfile'>) {
  return async function getResourceServerInfo(
    ctx: KoaContextWithOIDC,
    resourceIndicator: string,
    client: Client,
  ): Promise<ResourceServerInfo> {
    const api = await registry.find(resourceIndicator);
    if (!api) throw new errors.InvalidTarget();
    let scopes: readonly string[];
    if (isClientCredentials(ctx)) {
      // A client stored without a secret before clients.* refused it: its client_id alone must not buy a token.
      if (client.clientAuthMethod === 'none') {
        throw new errors.UnauthorizedClient('the client_credentials grant needs a client that authenticates');
      }
      const allowed = machineScopes(api, client);
      if (!allowed) throw new errors.InvalidTarget('this client has no grant for the requested resource server');
      // Auth0's rule: a client_credentials request without `scope` gets every scope the
      // client is allowed. oidc-provider grants only requested scopes, so fill them in here,
      // the one hook that runs before the grant reads them.
      if (!ctx.oidc.params?.['scope'] && allowed.length > 0) (ctx.oidc.params as Record<string, unknown>)['scope'] = allowed.join(' ');
      scopes = allowed;
    } else {
      scopes = api.is_system
        ? [...SELF_SERVICE_SCOPES, ...(await heldScopes(ctx, client, profiles))]
        : api.scopes.map((scope) => scope.value);
    }
    return {
      scope: scopes.join(' '),
      audience: api.identifier,
      accessTokenTTL: api.token_lifetime,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: api.signing_alg } },
    };
  };
}
