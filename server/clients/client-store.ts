/**
 * Registered OIDC clients, kept in oidc-provider's own `Client` storage so the provider reads
 * every change on its next request. Metadata is validated by the provider before it is stored;
 * a refusal names the field at fault whenever the error's structure says which it is.
 */
import { type ClientMetadata, errors } from 'oidc-provider';
import type { AdapterFactory } from '../../adapters/oidc/types.js';
import type { ClientFilter, ClientQueries } from '../../adapters/queries/clients.js';
import { DomainError } from '../errors.js';
import { InvalidClientProperty } from '../oidc/oauth-errors.js';
import type { ProviderHost } from '../oidc/provider-host.js';

export type { ClientMetadata };

const POST_LOGOUT_REDIRECT_URIS = 'post_logout_redirect_uris';

/**
 * The provider refuses a web client's post-logout redirect URI as it does a redirect URI, but
 * says which list only in prose: checked here first with the provider's own rule and words,
 * the refusal names the field.
 */
function checkPostLogoutRedirectUris(metadata: ClientMetadata): void {
  const uris: unknown = metadata[POST_LOGOUT_REDIRECT_URIS];
  if (!Array.isArray(uris)) return;
  for (const uri of uris) {
    const url = typeof uri === 'string' ? URL.parse(uri) : null;
    const problem = !url
      ? 'must only contain valid uris'
      : url.href.includes('#')
        ? 'must not contain fragments'
        : !['https:', 'http:'].includes(url.protocol)
          ? 'must only contain web uris'
          : undefined;
    if (problem) throw new DomainError('client.invalid', `${POST_LOGOUT_REDIRECT_URIS} ${problem}`, POST_LOGOUT_REDIRECT_URIS);
  }
}

/** The property a refusal is about: Tessera's own validators name it, and the provider's own error code names redirect_uris. */
function propertyOf(error: unknown): string | undefined {
  if (error instanceof InvalidClientProperty) return error.property;
  if (error instanceof errors.InvalidClientMetadata && error.error === 'invalid_redirect_uri') return 'redirect_uris';
  return undefined;
}

export function createClientStore(providers: ProviderHost, adapter: AdapterFactory, queries: ClientQueries) {
  const storage = adapter('Client');
  const find = async (clientId: string) => (await storage.find(clientId)) as ClientMetadata | undefined;
  return {
    async save(metadata: ClientMetadata): Promise<void> {
      checkPostLogoutRedirectUris(metadata);
      try {
        await providers.provider.Client.validate(metadata);
      } catch (error) {
        const description = error instanceof errors.OIDCProviderError ? (error.error_description ?? error.error) : String(error);
        throw new DomainError('client.invalid', description, propertyOf(error), { cause: error });
      }
      await storage.upsert(metadata.client_id, metadata as Record<string, unknown>, 0);
    },

    find,

    /** One page of clients in client_id order, read through the adapter so secrets come back opened. */
    async list(offset: number, limit: number, filter: ClientFilter = {}): Promise<{ clients: ClientMetadata[]; total: number }> {
      const [ids, total] = await Promise.all([queries.listIds(offset, limit, filter), queries.count(filter)]);
      const found = await Promise.all(ids.map(find));
      return { clients: found.filter((client) => client !== undefined), total };
    },

    async remove(clientId: string): Promise<void> {
      await storage.destroy(clientId);
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
