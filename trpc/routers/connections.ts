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
import { connectionOptionForms } from '../../server/connections/option-forms.js';
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

  /** Each strategy's options as JSON Schema, with its write-only secrets: what the console's forms are built from. */
  optionForms: requireScope('read:connections').query(() => connectionOptionForms()),

  /** Reaches an ldap or oidc connection's upstream now and says what answered (the console's "try"). */
  check: requireScope('read:connections')
    .input(connectionIdInput)
    .mutation(({ ctx, input }) => ctx.services.connections.check(input.id)),

  delete: requireScope('delete:connections')
    .input(deleteConnectionInput)
    .mutation(({ ctx, input }) => ctx.services.connections.remove(input.id, input.cascade)),
});
