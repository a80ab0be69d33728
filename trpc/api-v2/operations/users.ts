/**
 * /users: Auth0's user operations over the users.* procedures.
 */
import { z } from 'zod';
import { userIdSchema } from '../../../server/users/user-schemas.js';
import { operation } from '../operation.js';

const userIdParams = z.strictObject({ id: userIdSchema });

export const userOperations = [
  operation({
    method: 'get',
    path: '/users/{id}',
    operationId: 'get_users_by_id',
    summary: 'Get a user',
    tag: 'Users',
    procedure: 'users.get',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
  }),
  operation({
    method: 'delete',
    path: '/users/{id}',
    operationId: 'delete_users_by_id',
    summary: 'Delete a user',
    tag: 'Users',
    procedure: 'users.delete',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
];
