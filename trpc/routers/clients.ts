/**
 * clients.*: the relying parties and machine clients registered with the provider (docs/contract.md's
 * procedure table). The secret leaves only through create and rotateSecret.
 */
import { clientIdInput, createClientInput, listClientsInput, updateClientInput } from '../../server/clients/client-schemas.js';
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const clientsRouter = router({
  create: requireScope('create:clients')
    .input(createClientInput)
    .mutation(({ ctx, input }) => ctx.services.clients.create(input, ctx.caller.scopes)),

  get: requireScope('read:clients')
    .input(clientIdInput)
    .query(({ ctx, input }) => ctx.services.clients.get(input.client_id)),

  list: requireScope('read:clients')
    .input(listClientsInput)
    .query(({ ctx, input }) =>
      ctx.services.clients.list(input.page, input.per_page, { firstParty: input.is_first_party, appTypes: input.app_type }),
    ),

  update: requireScope('update:clients')
    .input(updateClientInput)
    .mutation(({ ctx, input }) => {
      const { client_id: clientId, ...changes } = input;
      return ctx.services.clients.update(clientId, changes, ctx.caller.scopes);
    }),

  delete: requireScope('delete:clients')
    .input(clientIdInput)
    .mutation(({ ctx, input }) => ctx.services.clients.remove(input.client_id, ctx.caller.scopes)),

  rotateSecret: requireScope('update:clients')
    .input(clientIdInput)
    .mutation(({ ctx, input }) => ctx.services.clients.rotateSecret(input.client_id, ctx.caller.scopes)),
});
