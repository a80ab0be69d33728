/**
 * Registered OIDC clients, kept in oidc-provider's own `Client` storage so the provider reads
 * every change on its next request. Metadata is validated by the provider before it is stored.
 */
import type { ClientMetadata } from 'oidc-provider';
import type { ClientQueries } from '../../adapters/queries/clients.js';
import type { AdapterFactory } from '../../adapters/oidc/types.js';
import { DomainError } from '../errors.js';
import type { ProviderHost } from '../oidc/provider-host.js';

export type { ClientMetadata };

/** The provider's descriptions start with the property at fault ("redirect_uris must contain members"). */
function propertyIn(description: string): string | undefined {
  return /^([a-z]+_[a-z_]+)\b/.exec(description)?.[1];
}

export function createClientStore(providers: ProviderHost, adapter: AdapterFactory, queries: ClientQueries) {
  const storage = adapter('Client');
  const find = async (clientId: string) => (await storage.find(clientId)) as ClientMetadata | undefined;
  return {
    async save(metadata: ClientMetadata): Promise<void> {
      try {
        await providers.provider.Client.validate(metadata);
      } catch (error) {
        const description = (error as { error_description?: string }).error_description ?? String(error);
        throw new DomainError('client.invalid', description, propertyIn(description));
      }
      await storage.upsert(metadata.client_id, metadata as Record<string, unknown>, 0);
    },

    find,

    /** One page of clients in client_id order, read through the adapter so secrets come back opened. */
    async list(offset: number, limit: number): Promise<{ clients: ClientMetadata[]; total: number }> {
      const [ids, total] = await Promise.all([queries.listIds(offset, limit), queries.count()]);
      const found = await Promise.all(ids.map(find));
      return { clients: found.filter((client) => client !== undefined), total };
    },

    async remove(clientId: string): Promise<void> {
      await storage.destroy(clientId);
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
