/**
 * /clients: Auth0's application operations over the clients.* procedures, in Auth0's client
 * shape (./auth0-client-shape.ts).
 */
import { z } from 'zod';
import { clientIdSchema } from '../../../server/clients/client-schemas.js';
import {
  auth0Client,
  auth0ClientSchema,
  auth0CreateClientBody,
  auth0UpdateClientBody,
  changesOf,
  createInputOf,
} from '../auth0-client-shape.js';
import { fieldSelectionOnly, fieldSelectionQuery, selectFields } from '../field-selection.js';
import { operation } from '../operation.js';
import { queryBoolean, queryInteger } from '../query-params.js';

const clientIdParams = z.strictObject({ id: clientIdSchema });

const listQuery = z.strictObject({
  ...fieldSelectionQuery,
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
      ...(query.page === undefined ? {} : { page: query.page }),
      ...(query.per_page === undefined ? {} : { per_page: query.per_page }),
    }),
    output: (result, { query }) => {
      const clients = result.clients.map((client) => selectFields(auth0Client(client), query));
      if (!query.include_totals) return clients;
      return { start: result.start, limit: result.limit, length: result.length, total: result.total, clients };
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
