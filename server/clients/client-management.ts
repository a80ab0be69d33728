/**
 * The client operations behind clients.*: generated ids and secrets, the rules across fields
 * and the caller's privileges, and the client ↔ connection relation kept beside the provider's
 * metadata. A client's fields, and the shapes it takes, are described in ./client-fields.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ClientFilter } from '../../adapters/queries/clients.js';
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import { strategyTraits } from '../connections/strategies.js';
import { DomainError, isDomainError } from '../errors.js';
import { checkGrantable, checkManageable as checkHolderManageable } from '../oidc/management-api.js';
import { applyChanges, clientView, settingsOf, toMetadata } from './client-fields.js';
import type { ClientChanges, ClientSettings, ClientView, CreateClientInput } from './client-schemas.js';
import type { ClientMetadata, ClientStore } from './client-store.js';
import { checkNotReserved, checkReservedChange } from './reserved-clients.js';

export interface ClientManagementDependencies {
  clients: ClientStore;
  connections: ConnectionQueries;
  /** Removes a deleted client's grants from every API (resourceServers.forgetClient). */
  forgetGrants(clientId: string): Promise<void>;
}

/** Auth0's client ids are opaque and url-safe; 128 random bits keep them unguessable. */
const newClientId = () => randomBytes(16).toString('base64url');
const newSecret = () => randomBytes(32).toString('base64url');

function notFound(clientId: string): DomainError {
  return new DomainError('client.not_found', `client ${clientId} does not exist`, 'client_id');
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
    throw new DomainError(
      'client.invalid',
      'a public client (token_endpoint_auth_method none) must use PKCE: it has no secret to bind its codes to',
      'require_pkce',
    );
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

/** A client holding more than the caller is out of its reach (server/oidc/management-api.ts). */
function checkManageable(clientId: string, target: ClientSettings, callerScopes: ReadonlySet<string>): void {
  checkHolderManageable(`client ${clientId}`, target.management_scopes, callerScopes, 'client_id');
}

export function createClientManagement({ clients, connections, forgetGrants }: ClientManagementDependencies) {
  async function load(clientId: string): Promise<ClientMetadata> {
    const metadata = await clients.find(clientId);
    if (!metadata) throw notFound(clientId);
    return metadata;
  }

  /** Connection names to ids; when none are named, every connection whose strategy is enabled for new clients (database). */
  async function resolveConnections(names: readonly string[] | undefined): Promise<string[]> {
    const all = await connections.list();
    if (!names)
      return all.filter((connection) => strategyTraits(connection.strategy)?.enabledForNewClients).map((connection) => connection.id);
    const byName = new Map(all.map((connection) => [connection.name, connection.id]));
    const found = names.flatMap((name) => byName.get(name) ?? []);
    const unknown = names.filter((name) => !byName.has(name));
    if (unknown.length > 0) throw new DomainError('client.invalid', `unknown connection: ${unknown.join(', ')}`, 'connections');
    return found;
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

  /** Stores the metadata and enables the named connections (create's default when none); an unknown name stores nothing. */
  async function register(metadata: ClientMetadata, wanted: readonly string[] | undefined): Promise<void> {
    const enabled = await resolveConnections(wanted);
    await save(metadata);
    await connections.setEnabledForClient(metadata.client_id, enabled);
  }

  return {
    /** `clientId` is the operator's choice of id (the CLI's `--id`); the API always generates one. */
    async create(
      input: CreateClientInput,
      callerScopes: ReadonlySet<string>,
      { clientId = newClientId() }: { clientId?: string } = {},
    ): Promise<ClientView> {
      checkNotReserved(clientId, 'created again');
      const { connections: wanted, description, saml_addon, mfa_policy, ...rest } = input;
      const settings: ClientSettings = {
        ...rest,
        ...(description === undefined ? {} : { description }),
        ...(saml_addon === undefined ? {} : { saml_addon }),
        ...(mfa_policy === undefined ? {} : { mfa_policy }),
      };
      checkConsistency(settings);
      checkGrantable(settings.management_scopes, callerScopes);
      const secret = isPublic(settings) ? undefined : newSecret();
      await register(toMetadata(clientId, settings, secret), wanted);
      return clientView(clientId, settings, await connectionNames(clientId), secret);
    },

    /**
     * A client whose provider metadata the caller wrote itself, fields this API does not offer
     * included (test fixtures): only the provider's own checks apply, and its connections are
     * enabled as create enables them.
     */
    async register(metadata: ClientMetadata, connectionNames?: readonly string[]): Promise<void> {
      await register(metadata, connectionNames);
    },

    async get(clientId: string): Promise<ClientView> {
      const metadata = await load(clientId);
      return clientView(clientId, settingsOf(metadata), await connectionNames(clientId));
    },

    async list(page: number, perPage: number, filter: ClientFilter = {}) {
      const { clients: found, total } = await clients.list(page * perPage, perPage, filter);
      const names = await connections.connectionNamesByClient(found.map((metadata) => metadata.client_id));
      return {
        clients: found.map((metadata) => clientView(metadata.client_id, settingsOf(metadata), names.get(metadata.client_id) ?? [])),
        start: page * perPage,
        limit: perPage,
        length: found.length,
        total,
      };
    },

    async update(clientId: string, changes: ClientChanges, callerScopes: ReadonlySet<string>): Promise<ClientView> {
      const metadata = await load(clientId);
      checkReservedChange(
        clientId,
        Object.keys(changes).filter((field) => changes[field as keyof ClientChanges] !== undefined),
      );
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
      return clientView(clientId, settings, await connectionNames(clientId));
    },

    async remove(clientId: string, callerScopes: ReadonlySet<string>): Promise<{ deleted: true }> {
      checkNotReserved(clientId, 'deleted');
      checkManageable(clientId, settingsOf(await load(clientId)), callerScopes);
      await clients.remove(clientId);
      await connections.removeClient(clientId);
      await forgetGrants(clientId);
      return { deleted: true };
    },

    async rotateSecret(clientId: string, callerScopes: ReadonlySet<string>): Promise<ClientView> {
      const metadata = await load(clientId);
      checkNotReserved(clientId, 'given a secret');
      const settings = settingsOf(metadata);
      checkManageable(clientId, settings, callerScopes);
      if (isPublic(settings)) {
        throw new DomainError(
          'client.invalid',
          'a public client (token_endpoint_auth_method none) has no secret to rotate',
          'token_endpoint_auth_method',
        );
      }
      const secret = newSecret();
      await save(toMetadata(clientId, settings, secret));
      return clientView(clientId, settings, await connectionNames(clientId), secret);
    },
  };
}

export type ClientManagement = ReturnType<typeof createClientManagement>;
