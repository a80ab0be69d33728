/**
 * resourceServers.*: the APIs clients ask access tokens for, the management API among them, with
 * Auth0's scope names (docs/contract.md's procedure table).
 */
import {
  createResourceServerInput,
  listResourceServersInput,
  resourceServerIdInput,
  updateResourceServerInput,
} from '../../server/resource-servers/resource-server-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const resourceServersRouter = router({
  list: requireScope('read:resource_servers')
    .input(listResourceServersInput)
    .query(({ ctx, input }) => ctx.services.resourceServers.list(input.page, input.per_page)),

  get: requireScope('read:resource_servers')
    .input(resourceServerIdInput)
    .query(({ ctx, input }) => ctx.services.resourceServers.get(input.id)),

  create: requireScope('create:resource_servers')
    .input(createResourceServerInput)
    .mutation(({ ctx, input }) => ctx.services.resourceServers.create(input)),

  update: requireScope('update:resource_servers')
    .input(updateResourceServerInput)
    .mutation(({ ctx, input }) => ctx.services.resourceServers.update(input)),

  delete: requireScope('delete:resource_servers')
    .input(resourceServerIdInput)
    .mutation(({ ctx, input }) => ctx.services.resourceServers.remove(input.id)),
});
