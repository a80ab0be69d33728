/**
 * The resource servers as every token request reads them: the whole registry held in memory
 * (it is small, and oidc-provider asks for an API at each token it issues), with the built-in
 * management API always present. A write on any node invalidates it (server/resource-servers/
 * resource-server-management.ts announces it to the others); `maxAgeMs` bounds what a lost
 * signal leaves stale.
 */
import type { ResourceServerQueries, ResourceServerRecord } from '../../adapters/queries/resource-servers.js';
import { API_ACCESS_TOKEN_TTL_SECONDS } from '../oidc/lifetimes.js';
import { MANAGEMENT_SCOPES, managementAudience } from '../oidc/management-api.js';
import { API_SIGNING_ALGS, type ApiSigningAlg, type ResourceServerView } from './resource-server-schemas.js';

/** The management API's id; its row exists only once an operator changed its settings. */
export const MANAGEMENT_API_ID = 'rs_management_api';
export const MANAGEMENT_API_NAME = 'Tessera Management API';

export interface ResourceServer extends ResourceServerView {
  client_grants: Array<{ client_id: string; scope: string[] }>;
}

interface Snapshot {
  readonly all: readonly ResourceServer[];
  readonly byIdentifier: ReadonlyMap<string, ResourceServer>;
  readonly loadedAt: number;
}

function signingAlg(value: string): ApiSigningAlg {
  return (API_SIGNING_ALGS as readonly string[]).includes(value) ? (value as ApiSigningAlg) : 'RS256';
}

function fromRecord(row: ResourceServerRecord): ResourceServer {
  return {
    id: row.id,
    identifier: row.identifier,
    name: row.name,
    scopes: row.scopes,
    signing_alg: signingAlg(row.signing_alg),
    token_lifetime: row.token_lifetime,
    client_grants: row.client_grants,
    is_system: false,
  };
}

/** The built-in entry, with whatever settings an operator stored for it; its identifier follows ISSUER. */
function managementApi(issuer: string, stored: ResourceServerRecord | undefined): ResourceServer {
  return {
    id: MANAGEMENT_API_ID,
    identifier: managementAudience(issuer),
    name: MANAGEMENT_API_NAME,
    scopes: MANAGEMENT_SCOPES.map((value) => ({ value })),
    signing_alg: signingAlg(stored?.signing_alg ?? 'RS256'),
    token_lifetime: stored?.token_lifetime ?? API_ACCESS_TOKEN_TTL_SECONDS,
    client_grants: [],
    is_system: true,
  };
}

export function createResourceServerRegistry({
  queries,
  issuer,
  maxAgeMs,
}: {
  queries: ResourceServerQueries;
  issuer: string;
  maxAgeMs: number;
}) {
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;

  function load(): Promise<Snapshot> {
    const started: Promise<Snapshot> = queries.list().then((rows) => {
      const builtIn = managementApi(
        issuer,
        rows.find((row) => row.id === MANAGEMENT_API_ID),
      );
      const all = [builtIn, ...rows.filter((row) => row.id !== MANAGEMENT_API_ID).map(fromRecord)];
      const loaded: Snapshot = { all, byIdentifier: new Map(all.map((api) => [api.identifier, api])), loadedAt: Date.now() };
      // A load that an invalidation overtook must not overwrite what the next load reads.
      if (loading === started) snapshot = loaded;
      return loaded;
    });
    loading = started;
    started
      .catch(() => undefined)
      .finally(() => {
        if (loading === started) loading = undefined;
      });
    return started;
  }

  function current(): Promise<Snapshot> | Snapshot {
    if (snapshot && Date.now() - snapshot.loadedAt < maxAgeMs) return snapshot;
    return loading ?? load();
  }

  return {
    /** The API whose identifier a client named as `resource`. */
    async find(identifier: string): Promise<ResourceServer | undefined> {
      return (await current()).byIdentifier.get(identifier);
    },

    /** Every API, the management API first. */
    async list(): Promise<readonly ResourceServer[]> {
      return (await current()).all;
    },

    /** After a write here or on another node: the next read loads the registry again. */
    invalidate(): void {
      snapshot = undefined;
      loading = undefined;
    },
  };
}

export type ResourceServerRegistry = ReturnType<typeof createResourceServerRegistry>;
