/**
 * Registered OIDC clients, kept in oidc-provider's own `Client` storage so the provider reads
 * every change on its next request. Metadata is validated by the provider before it is stored.
 */
import type { ClientMetadata } from 'oidc-provider';
import type { AdapterFactory } from '../../adapters/oidc/types.js';
import { DomainError } from '../errors.js';
import type { ProviderHost } from '../oidc/provider-host.js';

export type { ClientMetadata };

export function createClientStore(providers: ProviderHost, adapter: AdapterFactory) {
  const storage = adapter('Client');
  return {
    async save(metadata: ClientMetadata): Promise<void> {
      try {
        await providers.provider.Client.validate(metadata);
      } catch (error) {
        const description = (error as { error_description?: string }).error_description ?? String(error);
        throw new DomainError('client.invalid', description);
      }
      await storage.upsert(metadata.client_id, metadata as Record<string, unknown>, 0);
    },

    async find(clientId: string): Promise<ClientMetadata | undefined> {
      return (await storage.find(clientId)) as ClientMetadata | undefined;
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
