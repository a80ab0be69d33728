/**
 * The management API: one router per domain, composed once. Its type is what @trpc/client uses.
 */
import { router } from '../trpc.js';
import { meRouter } from './me.js';
import { usersRouter } from './users.js';

export const appRouter = router({
  users: usersRouter,
  me: meRouter,
});

export type AppRouter = typeof appRouter;
