/**
 * /user-blocks/{id}: Auth0's lifting of a user's brute-force blocks, over users.unblock.
 */
import { z } from 'zod';
import { userIdSchema } from '../../../server/users/user-schemas.js';
import { operation } from '../operation.js';

export const userBlockOperations = [
  operation({
    method: 'delete',
    path: '/user-blocks/{id}',
    operationId: 'delete_user_blocks_by_id',
    summary: 'Lift the brute-force blocks of a user',
    tag: 'User Blocks',
    procedure: 'users.unblock',
    params: z.strictObject({ id: userIdSchema }),
    input: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
];
