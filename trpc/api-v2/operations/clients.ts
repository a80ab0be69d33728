/**
 * /clients: Auth0's application operations over the clients.* procedures, in Auth0's client
 * shape (./auth0-client-shape.ts).
 */
import { z } from 'zod';
import { clientIdSchema } from '../../../server/clients/client-schemas.js';
import {
  AUTH0_APP_TYPES,
  auth0Client,
  auth0ClientSchema,
  auth0CreateClientBody,
  auth0UpdateClientBody,
  changesOf,
  createInputOf,
} from '../auth0-client-shape.js';
import { fieldSelectionOnly, fieldSelectionQuery, selectFields } from '../field-selection.js';
import { operation } from '../operation.js';
import { fieldList, queryBoolean, queryInteger } from '../query-params.js';

const clientIdParams = z.strictObject({ id: clientIdSchema });

/** `app_type=spa,non_interactive`; `native` is answered as `spa`, so no client is listed as native. */
const appTypes = fieldList.pipe(z.array(z.enum(AUTH0_APP_TYPES)).min(1).max(AUTH0_APP_TYPES.length));

const listQuery = z.strictObject({
  ...fieldSelectionQuery,
  is_first_party: queryBoolean.optional(),
  app_type: appTypes.optional(),
  /** No Tessera client is Auth0's global client: true lists none. */
  is_global: queryBoolean.optional(),
  page: queryInteger(0, 1_000_000).optional(),
  per_page: queryInteger(1, 100).optional(),
  /** Auth0's default is a bare array; true wraps it with the paging figures. */
  include_totals: queryBoolean.optional(),
});

const listResponse = z.union([
  z.array(auth0ClientSchema),
  z.object({ start: z.number(), limit: z.number(), length: z.number(), total: z.number(), clients: z.array(auth0ClientSchema) }),
]);

export const clientOperations = [
  operation({
    method: 'get',
    path: '/clients',
    operationId: 'get_clients',
    summary: 'List clients',
    tag: 'Clients',
    procedure: 'clients.list',
    query: listQuery,
    input: ({ query }) => ({
      ...(query.is_first_party === undefined ? {} : { is_first_party: query.is_first_party }),
      ...(query.app_type === undefined ? {} : { app_type: query.app_type.filter((type) => type !== 'native') }),
      ...(query.page === undefined ? {} : { page: query.page }),
      ...(query.per_page === undefined ? {} : { per_page: query.per_page }),
    }),
    output: (result, { query }) => {
      const page = query.is_global ? { ...result, clients: [], length: 0, total: 0 } : result;
      const clients = page.clients.map((client) => selectFields(auth0Client(client), query));
      if (!query.include_totals) return clients;
      return { start: page.start, limit: page.limit, length: page.length, total: page.total, clients };
    },
    response: listResponse,
  }),
  operation({
    method: 'get',
    path: '/clients/{id}',
    operationId: 'get_clients_by_id',
    summary: 'Get a client',
    tag: 'Clients',
    procedure: 'clients.get',
    params: clientIdParams,
    query: fieldSelectionOnly,
    input: ({ params }) => ({ client_id: params.id }),
    output: (result, { query }) => selectFields(auth0Client(result), query),
    response: auth0ClientSchema,
  }),
  operation({
    method: 'post',
    path: '/clients',
    operationId: 'post_clients',
    summary: 'Create a client',
    tag: 'Clients',
    procedure: 'clients.create',
    body: auth0CreateClientBody,
    input: ({ body }) => createInputOf(body),
    output: auth0Client,
    response: auth0ClientSchema,
    status: 201,
  }),
  operation({
    method: 'patch',
    path: '/clients/{id}',
    operationId: 'patch_clients_by_id',
    summary: 'Update a client',
    tag: 'Clients',
    procedure: 'clients.update',
    params: clientIdParams,
    body: auth0UpdateClientBody,
    input: ({ params, body }) => ({ ...changesOf(body), client_id: params.id }),
    output: auth0Client,
    response: auth0ClientSchema,
  }),
  operation({
    method: 'delete',
    path: '/clients/{id}',
    operationId: 'delete_clients_by_id',
    summary: 'Delete a client',
    tag: 'Clients',
    procedure: 'clients.delete',
    params: clientIdParams,
    input: ({ params }) => ({ client_id: params.id }),
    status: 204,
  }),
  operation({
    method: 'post',
    path: '/clients/{id}/rotate-secret',
    operationId: 'post_rotate_secret',
    summary: 'Rotate a client secret',
    tag: 'Clients',
    procedure: 'clients.rotateSecret',
    params: clientIdParams,
    input: ({ params }) => ({ client_id: params.id }),
    output: auth0Client,
    response: auth0ClientSchema,
  }),
];
