/**
 * keys.*: the provider's published signing keys, and their rotation (docs/contract.md's procedure table).
 */
import { requireScope } from '../middleware/auth.js';
import { router } from '../trpc.js';

export const keysRouter = router({
  list: requireScope('read:signing_keys').query(({ ctx }) => ctx.services.keys.list()),

  rotate: requireScope('create:signing_keys').mutation(({ ctx }) => ctx.services.keys.rotate()),
});
