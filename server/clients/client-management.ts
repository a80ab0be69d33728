/**
 * The client operations behind clients.*: Auth0-like defaults, generated ids and secrets,
 * the client ↔ connection relation kept beside the provider's metadata, and the one place a
 * client becomes its API view (with the secret only in what create and rotateSecret return).
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import { DomainError, isDomainError } from '../errors.js';
import { CLIENT_DEFAULTS } from '../oidc/client-defaults.js';
import { REQUIRE_PKCE } from '../oidc/pkce-policy.js';
import { SAML_ADDON, samlAddonSchema, type SamlAddon } from '../saml-idp/addon.js';
import type { ClientMetadata, ClientStore } from './client-store.js';
import type { ClientChanges, ClientSettings, ClientView, CreateClientInput } from './client-schemas.js';

export interface ClientManagementDependencies {
  clients: ClientStore;
  connections: ConnectionQueries;
}

/** Auth0's client ids are opaque and url-safe; 128 random bits keep them unguessable. */
const newClientId = () => randomBytes(16).toString('base64url');
const newSecret = () => randomBytes(32).toString('base64url');

function notFound(clientId: string): DomainError {
  return new DomainError('client.not_found', `client ${clientId} does not exist`, 'client_id');
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item) => typeof item === 'string') : []);

/** The add-on as a field that is absent when off, so clients without one look exactly as SPEC.md lists them. */
const samlAddonField = (addon: SamlAddon | undefined) => (addon ? { saml_addon: addon } : {});

function settingsOf(metadata: ClientMetadata): ClientSettings {
  return {
    name: metadata.client_name ?? metadata.client_id,
    redirect_uris: strings(metadata.redirect_uris),
    post_logout_redirect_uris: strings(metadata['post_logout_redirect_uris']),
    grant_types: metadata.grant_types ? strings(metadata.grant_types) : [...CLIENT_DEFAULTS.grant_types],
    token_endpoint_auth_method: metadata.token_endpoint_auth_method ?? CLIENT_DEFAULTS.token_endpoint_auth_method,
    id_token_signed_response_alg: metadata.id_token_signed_response_alg ?? CLIENT_DEFAULTS.id_token_signed_response_alg,
    is_first_party: metadata['is_first_party'] === true,
    // Clients stored before the setting existed require PKCE too.
    require_pkce: metadata[REQUIRE_PKCE] !== false,
    management_scopes: strings(metadata['management_scopes']),
    ...samlAddonField(samlAddonSchema.safeParse(metadata[SAML_ADDON]).data),
  };
}

function toMetadata(clientId: string, settings: ClientSettings, secret: string | undefined): ClientMetadata {
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    client_name: settings.name,
    redirect_uris: settings.redirect_uris,
    post_logout_redirect_uris: settings.post_logout_redirect_uris,
    grant_types: settings.grant_types,
    // The code flow is the only response type the provider serves (SPEC.md).
    response_types: settings.grant_types.includes('authorization_code') ? [...CLIENT_DEFAULTS.response_types] : [],
    token_endpoint_auth_method: settings.token_endpoint_auth_method,
    id_token_signed_response_alg: settings.id_token_signed_response_alg,
    is_first_party: settings.is_first_party,
    [REQUIRE_PKCE]: settings.require_pkce,
    management_scopes: settings.management_scopes,
    ...samlAddonField(settings.saml_addon),
  };
}

function view(clientId: string, settings: ClientSettings, connections: string[], secret?: string): ClientView {
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    name: settings.name,
    redirect_uris: settings.redirect_uris,
    post_logout_redirect_uris: settings.post_logout_redirect_uris,
    grant_types: settings.grant_types,
    token_endpoint_auth_method: settings.token_endpoint_auth_method,
    id_token_signed_response_alg: settings.id_token_signed_response_alg,
    is_first_party: settings.is_first_party,
    require_pkce: settings.require_pkce,
    management_scopes: settings.management_scopes,
    ...samlAddonField(settings.saml_addon),
    connections,
  };
}

function applyChanges(before: ClientSettings, changes: ClientChanges): ClientSettings {
  return {
    name: changes.name ?? before.name,
    redirect_uris: changes.redirect_uris ?? before.redirect_uris,
    post_logout_redirect_uris: changes.post_logout_redirect_uris ?? before.post_logout_redirect_uris,
    grant_types: changes.grant_types ?? before.grant_types,
    token_endpoint_auth_method: changes.token_endpoint_auth_method ?? before.token_endpoint_auth_method,
    id_token_signed_response_alg: changes.id_token_signed_response_alg ?? before.id_token_signed_response_alg,
    is_first_party: changes.is_first_party ?? before.is_first_party,
    require_pkce: changes.require_pkce ?? before.require_pkce,
    management_scopes: changes.management_scopes ?? before.management_scopes,
    ...samlAddonField(changes.saml_addon === null ? undefined : (changes.saml_addon ?? before.saml_addon)),
  };
}

const isPublic = (settings: ClientSettings) => settings.token_endpoint_auth_method === 'none';

/** Rules across fields that the provider would word less helpfully, or not check at all. */
function checkConsistency(settings: ClientSettings): void {
  if (isPublic(settings) && settings.id_token_signed_response_alg === 'HS256') {
    throw new DomainError(
      'client.invalid',
      'a public client (token_endpoint_auth_method none) has no secret to sign HS256 ID tokens with',
      'id_token_signed_response_alg',
    );
  }
  if (isPublic(settings) && !settings.require_pkce) {
    throw new DomainError('client.invalid', 'a public client (token_endpoint_auth_method none) must use PKCE: it has no secret to bind its codes to', 'require_pkce');
  }
  if (settings.management_scopes.length > 0 && !settings.grant_types.includes('client_credentials')) {
    throw new DomainError('client.invalid', 'management_scopes need the client_credentials grant', 'management_scopes');
  }
  // oidc-provider would hand this client's management tokens to anyone who knows its client_id.
  if (isPublic(settings) && settings.grant_types.includes('client_credentials')) {
    throw new DomainError(
      'client.invalid',
      'the client_credentials grant needs client authentication: token_endpoint_auth_method none leaves it without a secret',
      'token_endpoint_auth_method',
    );
  }
  // A SAML login goes through Tessera's own authorization code flow for the client.
  if (settings.saml_addon && !settings.grant_types.includes('authorization_code')) {
    throw new DomainError('client.invalid', 'saml_addon needs the authorization_code grant', 'saml_addon');
  }
}

const notHeld = (scopes: readonly string[], callerScopes: ReadonlySet<string>) => scopes.filter((scope) => !callerScopes.has(scope));

/** A caller cannot hand a client more of the management API than it holds itself. */
function checkGrantable(scopes: readonly string[], callerScopes: ReadonlySet<string>): void {
  const missing = notHeld(scopes, callerScopes);
  if (missing.length > 0) {
    throw new DomainError('client.scope_not_held', `cannot grant management scopes this token does not hold: ${missing.join(', ')}`, 'management_scopes');
  }
}

/**
 * Nor change a client that holds more than the caller: its secret, its authentication method
 * or its very existence would let the caller take (or take away) what it was never given.
 */
function checkManageable(clientId: string, target: ClientSettings, callerScopes: ReadonlySet<string>): void {
  const missing = notHeld(target.management_scopes, callerScopes);
  if (missing.length > 0) {
    throw new DomainError(
      'client.scope_not_held',
      `client ${clientId} holds management scopes this token does not hold (${missing.join(', ')}); only a caller holding all of them can change it`,
      'client_id',
    );
  }
}

export function createClientManagement({ clients, connections }: ClientManagementDependencies) {
  async function load(clientId: string): Promise<ClientMetadata> {
    const metadata = await clients.find(clientId);
    if (!metadata) throw notFound(clientId);
    return metadata;
  }

  /** Connection names to ids; every database connection when none are named. */
  async function resolveConnections(names: readonly string[] | undefined): Promise<string[]> {
    const all = await connections.list();
    if (!names) return all.filter((connection) => connection.strategy === 'database').map((connection) => connection.id);
    const byName = new Map(all.map((connection) => [connection.name, connection.id]));
    const unknown = names.filter((name) => !byName.has(name));
    if (unknown.length > 0) throw new DomainError('client.invalid', `unknown connection: ${unknown.join(', ')}`, 'connections');
    return names.map((name) => byName.get(name)!);
  }

  async function save(metadata: ClientMetadata): Promise<void> {
    try {
      await clients.save(metadata);
    } catch (error) {
      // The provider speaks of client_name; this API calls it name.
      if (isDomainError(error, 'client.invalid') && error.field === 'client_name') {
        throw new DomainError('client.invalid', error.message, 'name');
      }
      throw error;
    }
  }

  async function connectionNames(clientId: string): Promise<string[]> {
    return (await connections.connectionNamesByClient([clientId])).get(clientId) ?? [];
  }

  return {
    async create(input: CreateClientInput, callerScopes: ReadonlySet<string>): Promise<ClientView> {
      const { connections: wanted, ...settings } = input;
      checkConsistency(settings);
      checkGrantable(settings.management_scopes, callerScopes);
      const enabled = await resolveConnections(wanted);
      const clientId = newClientId();
      const secret = isPublic(settings) ? undefined : newSecret();
      await save(toMetadata(clientId, settings, secret));
      await connections.setEnabledForClient(clientId, enabled);
      return view(clientId, settings, await connectionNames(clientId), secret);
    },

    async get(clientId: string): Promise<ClientView> {
      const metadata = await load(clientId);
      return view(clientId, settingsOf(metadata), await connectionNames(clientId));
    },

    async list(page: number, perPage: number) {
      const { clients: found, total } = await clients.list(page * perPage, perPage);
      const names = await connections.connectionNamesByClient(found.map((metadata) => metadata.client_id));
      return {
        clients: found.map((metadata) => view(metadata.client_id, settingsOf(metadata), names.get(metadata.client_id) ?? [])),
        start: page * perPage,
        limit: perPage,
        length: found.length,
        total,
      };
    },

    async update(clientId: string, changes: ClientChanges, callerScopes: ReadonlySet<string>): Promise<ClientView> {
      const metadata = await load(clientId);
      const before = settingsOf(metadata);
      checkManageable(clientId, before, callerScopes);
      const settings = applyChanges(before, changes);
      checkConsistency(settings);
      checkGrantable(settings.management_scopes, callerScopes);
      const enabled = changes.connections ? await resolveConnections(changes.connections) : undefined;
      // A client made confidential gets a secret at once; the operator reads it with rotateSecret.
      const secret = isPublic(settings) ? undefined : (metadata.client_secret ?? newSecret());
      await save(toMetadata(clientId, settings, secret));
      if (enabled) await connections.setEnabledForClient(clientId, enabled);
      return view(clientId, settings, await connectionNames(clientId));
    },

    async remove(clientId: string, callerScopes: ReadonlySet<string>): Promise<{ deleted: true }> {
      checkManageable(clientId, settingsOf(await load(clientId)), callerScopes);
      await clients.remove(clientId);
      await connections.removeClient(clientId);
      return { deleted: true };
    },

    async rotateSecret(clientId: string, callerScopes: ReadonlySet<string>): Promise<ClientView> {
      const metadata = await load(clientId);
      const settings = settingsOf(metadata);
      checkManageable(clientId, settings, callerScopes);
      if (isPublic(settings)) {
        throw new DomainError('client.invalid', 'a public client (token_endpoint_auth_method none) has no secret to rotate', 'token_endpoint_auth_method');
      }
      const secret = newSecret();
      await save(toMetadata(clientId, settings, secret));
      return view(clientId, settings, await connectionNames(clientId), secret);
    },
  };
}

export type ClientManagement = ReturnType<typeof createClientManagement>;
