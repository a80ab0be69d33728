/**
 * /connections: Auth0's connection operations over the connections.* procedures, in Auth0's
 * connection shape (./auth0-connection-shape.ts). A list pages by `page`/`per_page` or, as the
 * Auth0 SDK does by default, by checkpoint (`from`/`take`, answered with `next`).
 */
import { z } from 'zod';
import { connectionIdSchema } from '../../../server/connections/connection-schemas.js';
import {
  auth0Connection,
  auth0ConnectionSchema,
  auth0CreateConnectionBody,
  auth0UpdateConnectionBody,
  createConnectionInputOf,
  strategyName,
} from '../auth0-connection-shape.js';
import { fieldSelectionOnly, fieldSelectionQuery, selectFields } from '../field-selection.js';
import { operation } from '../operation.js';
import { queryBoolean, queryInteger } from '../query-params.js';

const connectionIdParams = z.strictObject({ id: connectionIdSchema });
const DEFAULT_TAKE = 50;

const listQuery = z
  .strictObject({
    ...fieldSelectionQuery,
    /** Repeated for several: `strategy=auth0&strategy=oidc`. */
    strategy: z
      .union([strategyName, z.array(strategyName).min(1).max(10)])
      .transform((names) => [...new Set(Array.isArray(names) ? names : [names])])
      .optional(),
    name: z.string().min(1).max(128).optional(),
    page: queryInteger(0, 1_000_000).optional(),
    per_page: queryInteger(1, 100).optional(),
    include_totals: queryBoolean.optional(),
    /** The `next` of the previous answer: where the next checkpoint page starts. */
    from: z
      .string()
      .regex(/^\d{1,9}$/, 'must be the next value of a previous answer')
      .optional(),
    take: queryInteger(1, 100).optional(),
  })
  .refine((query) => (query.from === undefined && query.take === undefined) || (query.page === undefined && query.per_page === undefined), {
    message: 'page and per_page do not go with from and take',
  })
  .refine((query) => query.from === undefined || Number(query.from) % (query.take ?? DEFAULT_TAKE) === 0, {
    path: ['from'],
    message: 'must be the next value of a previous answer with the same take',
  });

type ListQuery = z.output<typeof listQuery>;

const isCheckpoint = (query: ListQuery) => query.from !== undefined || query.take !== undefined;

const listResponse = z.union([
  z.array(auth0ConnectionSchema),
  z.object({ start: z.number(), limit: z.number(), length: z.number(), total: z.number(), connections: z.array(auth0ConnectionSchema) }),
  z.object({ connections: z.array(auth0ConnectionSchema), next: z.string().optional() }),
]);

export const connectionOperations = [
  operation({
    method: 'get',
    path: '/connections',
    operationId: 'get_connections',
    summary: 'List connections',
    tag: 'Connections',
    procedure: 'connections.list',
    query: listQuery,
    input: ({ query }) => {
      const filters = {
        ...(query.strategy === undefined ? {} : { strategy: query.strategy }),
        ...(query.name === undefined ? {} : { name: query.name }),
      };
      if (isCheckpoint(query)) {
        const take = query.take ?? DEFAULT_TAKE;
        return { ...filters, page: Number(query.from ?? 0) / take, per_page: take };
      }
      return {
        ...filters,
        ...(query.page === undefined ? {} : { page: query.page }),
        ...(query.per_page === undefined ? {} : { per_page: query.per_page }),
      };
    },
    output: (result, { query }) => {
      const connections = result.connections.map((connection) => selectFields(auth0Connection(connection), query));
      if (isCheckpoint(query)) {
        const next = result.start + result.length;
        return { connections, ...(next < result.total && result.length > 0 ? { next: String(next) } : {}) };
      }
      if (!query.include_totals) return connections;
      return { start: result.start, limit: result.limit, length: result.length, total: result.total, connections };
    },
    response: listResponse,
  }),
  operation({
    method: 'get',
    path: '/connections/{id}',
    operationId: 'get_connections_by_id',
    summary: 'Get a connection',
    tag: 'Connections',
    procedure: 'connections.get',
    params: connectionIdParams,
    query: fieldSelectionOnly,
    input: ({ params }) => ({ id: params.id }),
    output: (result, { query }) => selectFields(auth0Connection(result), query),
    response: auth0ConnectionSchema,
  }),
  operation({
    method: 'post',
    path: '/connections',
    operationId: 'post_connections',
    summary: 'Create a connection',
    tag: 'Connections',
    procedure: 'connections.create',
    body: auth0CreateConnectionBody,
    input: ({ body }) => createConnectionInputOf(body),
    output: auth0Connection,
    response: auth0ConnectionSchema,
    status: 201,
  }),
  operation({
    method: 'patch',
    path: '/connections/{id}',
    operationId: 'patch_connections_by_id',
    summary: 'Update a connection',
    tag: 'Connections',
    procedure: 'connections.update',
    params: connectionIdParams,
    body: auth0UpdateConnectionBody,
    input: ({ params, body }) => ({
      id: params.id,
      ...(body.options === undefined ? {} : { options: body.options }),
      ...(body.enabled_clients === undefined ? {} : { enabled_clients: body.enabled_clients }),
    }),
    output: auth0Connection,
    response: auth0ConnectionSchema,
  }),
  operation({
    method: 'delete',
    path: '/connections/{id}',
    operationId: 'delete_connections_by_id',
    summary: 'Delete a connection and its users',
    tag: 'Connections',
    procedure: 'connections.delete',
    params: connectionIdParams,
    // Auth0 deletes the connection's users with it; the tRPC API asks for that with cascade.
    input: ({ params }) => ({ id: params.id, cascade: true }),
    // Auth0 sends no figures; the procedure's count of deleted and unlinked users costs nothing to pass on.
    status: 202,
    response: z.object({ deleted: z.literal(true), deleted_users: z.number(), unlinked_users: z.number() }),
  }),
];
