/**
 * connections.*: where users come from (docs/contract.md's procedure table), and which clients may use each.
 */
import {
  connectionIdInput,
  createConnectionInput,
  deleteConnectionInput,
  listConnectionsInput,
  updateConnectionInput,
} from '../../server/connections/connection-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const connectionsRouter = router({
  create: requireScope('create:connections')
    .input(createConnectionInput)
    .mutation(({ ctx, input }) => ctx.services.connections.create(input)),

  get: requireScope('read:connections')
    .input(connectionIdInput)
    .query(({ ctx, input }) => ctx.services.connections.get(input.id)),

  list: requireScope('read:connections')
    .input(listConnectionsInput)
    .query(({ ctx, input }) => ctx.services.connections.list(input)),

  update: requireScope('update:connections')
    .input(updateConnectionInput)
    .mutation(({ ctx, input }) => {
      const { id, ...changes } = input;
      return ctx.services.connections.update(id, changes);
    }),

  delete: requireScope('delete:connections')
    .input(deleteConnectionInput)
    .mutation(({ ctx, input }) => ctx.services.connections.remove(input.id, input.cascade)),
});
