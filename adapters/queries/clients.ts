/**
 * SQL for listing registered clients: oidc-provider's adapter contract finds one client by id
 * but cannot enumerate or search them, so the ids come from its table directly.
 */
import { cast, col, literal, Op, type WhereOptions, where } from 'sequelize';
import type { Models } from '../sequelize/models.js';

const CLIENT_MODEL = { model: 'Client' } as const;

/** Auth0's application types as server/clients/app-type.ts reads them from a client's metadata. */
export type StoredAppType = 'spa' | 'regular_web' | 'non_interactive';

export interface ClientFilter {
  /** Only the clients whose is_first_party is (true) or is not (false) set. */
  firstParty?: boolean | undefined;
  /** Only the clients of these types; none when empty. */
  appTypes?: readonly StoredAppType[] | undefined;
}

// Fixed SQL, no value from a request: a metadata field stored without a value reads as its default (not true, not none).
const MACHINE = `COALESCE(payload->'grant_types' = '["client_credentials"]'::jsonb, false)`;
const PUBLIC = `COALESCE(payload->>'token_endpoint_auth_method' = 'none', false)`;
const APP_TYPE_SQL: Record<StoredAppType, string> = {
  non_interactive: MACHINE,
  spa: `(${PUBLIC} AND NOT ${MACHINE})`,
  regular_web: `(NOT ${PUBLIC} AND NOT ${MACHINE})`,
};
const FIRST_PARTY = `COALESCE(payload->'is_first_party' = 'true'::jsonb, false)`;

function clientsWhere({ firstParty, appTypes }: ClientFilter): WhereOptions {
  const conditions: WhereOptions[] = [CLIENT_MODEL];
  if (firstParty !== undefined) conditions.push(literal(firstParty ? FIRST_PARTY : `NOT ${FIRST_PARTY}`));
  if (appTypes) conditions.push(literal(appTypes.length === 0 ? 'false' : `(${appTypes.map((type) => APP_TYPE_SQL[type]).join(' OR ')})`));
  return { [Op.and]: conditions };
}

export function createClientQueries(models: Models) {
  const { OidcPayload } = models;

  return {
    /** Client ids in id order, one page at a time, of the clients the filter keeps. */
    async listIds(offset: number, limit: number, filter: ClientFilter = {}): Promise<string[]> {
      const rows = await OidcPayload.findAll({ attributes: ['id'], where: clientsWhere(filter), order: [['id', 'ASC']], offset, limit });
      return rows.map((row) => row.id);
    },

    /** The clients that registered exactly this redirect URI, in id order (JSONB containment: exact string equality). */
    async idsWithRedirectUri(uri: string): Promise<string[]> {
      const rows = await OidcPayload.findAll({
        attributes: ['id'],
        where: { [Op.and]: [CLIENT_MODEL, where(col('payload'), Op.contains, cast(JSON.stringify({ redirect_uris: [uri] }), 'jsonb'))] },
        order: [['id', 'ASC']],
      });
      return rows.map((row) => row.id);
    },

    count(filter: ClientFilter = {}): Promise<number> {
      return OidcPayload.count({ where: clientsWhere(filter) });
    },
  };
}

export type ClientQueries = ReturnType<typeof createClientQueries>;
