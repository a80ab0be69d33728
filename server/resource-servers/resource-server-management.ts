/**
 * The operations behind resourceServers.*: custom APIs created, changed and deleted; the built-in
 * management API changed in its signing_alg and token_lifetime only, and never deleted. Every
 * write invalidates this node's registry before it returns and announces it to the other nodes,
 * so the next token any node issues for that API follows the change.
 */
import { randomBytes } from 'node:crypto';
import { StoreConflict } from '../../adapters/errors.js';
import type { ResourceServerFields, ResourceServerQueries } from '../../adapters/queries/resource-servers.js';
import { DomainError } from '../errors.js';
import { MANAGEMENT_API_ID, type ResourceServer, type ResourceServerRegistry } from './resource-server-registry.js';
import type { CreateResourceServerInput, ResourceServerView, UpdateResourceServerInput } from './resource-server-schemas.js';

export interface ResourceServerManagementDependencies {
  queries: ResourceServerQueries;
  registry: ResourceServerRegistry;
  clientExists: (clientId: string) => Promise<boolean>;
  /** Tells the other nodes to drop their copy of the registry. */
  announceChange: () => Promise<void>;
}

const newResourceServerId = () => `rs_${randomBytes(8).toString('hex')}`;

/** Fields the management API's identity is made of: Tessera defines them, an operator cannot. */
const BUILT_IN_FIXED = ['name', 'scopes', 'client_grants'] as const;

function notFound(id: string): DomainError {
  return new DomainError('resource_server.not_found', `resource server ${id} does not exist`, 'id');
}

function view(api: ResourceServer): ResourceServerView {
  const { id, identifier, name, scopes, signing_alg, token_lifetime, client_grants, is_system } = api;
  return {
    id,
    identifier,
    name,
    scopes: scopes.map((scope) => ({ value: scope.value, ...(scope.description === undefined ? {} : { description: scope.description }) })),
    signing_alg,
    token_lifetime,
    ...(is_system ? {} : { client_grants: client_grants.map((grant) => ({ client_id: grant.client_id, scope: [...grant.scope] })) }),
    is_system,
  };
}

export function createResourceServerManagement({ queries, registry, clientExists, announceChange }: ResourceServerManagementDependencies) {
  /** Read from PostgreSQL, not from this node's copy, which another node's write may not have reached yet. */
  async function fresh(): Promise<readonly ResourceServer[]> {
    registry.invalidate();
    return registry.list();
  }

  async function load(idOrIdentifier: string): Promise<ResourceServer> {
    const found = (await fresh()).find((api) => api.id === idOrIdentifier || api.identifier === idOrIdentifier);
    if (!found) throw notFound(idOrIdentifier);
    return found;
  }

  /** A grant names a client that exists and only scopes the API defines. */
  async function checkGrants(fields: ResourceServerFields): Promise<void> {
    const defined = new Set(fields.scopes.map((scope) => scope.value));
    for (const grant of fields.client_grants) {
      const undefinedScopes = grant.scope.filter((scope) => !defined.has(scope));
      if (undefinedScopes.length > 0) {
        throw new DomainError(
          'resource_server.invalid',
          `client_grants: ${grant.client_id} is granted scopes the API does not define: ${undefinedScopes.join(', ')}`,
          'client_grants',
        );
      }
      if (!(await clientExists(grant.client_id))) {
        throw new DomainError('resource_server.invalid', `client_grants: client ${grant.client_id} does not exist`, 'client_grants');
      }
    }
  }

  async function store(id: string, fields: ResourceServerFields): Promise<void> {
    try {
      await queries.save(id, fields);
    } catch (error) {
      if (error instanceof StoreConflict) {
        throw new DomainError('resource_server.exists', `a resource server with identifier ${fields.identifier} exists`, 'identifier');
      }
      throw error;
    } finally {
      // Even a failed write may have committed before its answer was lost: never keep a copy that may be stale.
      registry.invalidate();
    }
    await announceChange();
  }

  return {
    async create(input: CreateResourceServerInput): Promise<ResourceServerView> {
      if ((await fresh()).some((api) => api.identifier === input.identifier)) {
        throw new DomainError('resource_server.exists', `a resource server with identifier ${input.identifier} exists`, 'identifier');
      }
      await checkGrants(input);
      const id = newResourceServerId();
      await store(id, input);
      return view(await load(id));
    },

    async get(idOrIdentifier: string): Promise<ResourceServerView> {
      return view(await load(idOrIdentifier));
    },

    async list(page: number, perPage: number) {
      const all = await fresh();
      const found = all.slice(page * perPage, (page + 1) * perPage);
      return { resource_servers: found.map(view), start: page * perPage, limit: perPage, length: found.length, total: all.length };
    },

    async update(input: UpdateResourceServerInput): Promise<ResourceServerView> {
      const { id: idOrIdentifier, ...changes } = input;
      const before = await load(idOrIdentifier);
      if (before.is_system) {
        const fixed = BUILT_IN_FIXED.find((field) => changes[field] !== undefined);
        if (fixed) {
          throw new DomainError('resource_server.built_in', `the management API's ${fixed} cannot be changed`, fixed);
        }
      }
      const fields: ResourceServerFields = {
        // The management API's identifier follows ISSUER, so its row stores none that a changed ISSUER would leave behind.
        identifier: before.is_system ? MANAGEMENT_API_ID : before.identifier,
        name: changes.name ?? before.name,
        scopes: changes.scopes ?? before.scopes,
        signing_alg: changes.signing_alg ?? before.signing_alg,
        token_lifetime: changes.token_lifetime ?? before.token_lifetime,
        client_grants: changes.client_grants ?? before.client_grants,
      };
      await checkGrants(fields);
      await store(before.id, fields);
      return view(await load(before.id));
    },

    async remove(idOrIdentifier: string): Promise<{ deleted: true }> {
      const found = await load(idOrIdentifier);
      if (found.is_system) throw new DomainError('resource_server.built_in', 'the management API cannot be deleted', 'id');
      await queries.remove(found.id);
      registry.invalidate();
      await announceChange();
      return { deleted: true };
    },

    /** A deleted client's grants go with it, so a client created later under its id inherits none. */
    async forgetClient(clientId: string): Promise<void> {
      try {
        if (!(await queries.forgetClient(clientId))) return;
      } finally {
        registry.invalidate();
      }
      await announceChange();
    },
  };
}

export type ResourceServerManagement = ReturnType<typeof createResourceServerManagement>;
