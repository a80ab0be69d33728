/**
 * The management API: one router per domain, composed once. Its type is what @trpc/client uses.
 */
import { router } from '../trpc.js';
import { clientsRouter } from './clients.js';
import { connectionsRouter } from './connections.js';
import { jobsRouter } from './jobs.js';
import { keysRouter } from './keys.js';
import { meRouter } from './me.js';
import { resourceServersRouter } from './resource-servers.js';
import { ticketsRouter } from './tickets.js';
import { usersRouter } from './users.js';

export const appRouter = router({
  users: usersRouter,
  me: meRouter,
  clients: clientsRouter,
  connections: connectionsRouter,
  keys: keysRouter,
  resourceServers: resourceServersRouter,
  tickets: ticketsRouter,
  jobs: jobsRouter,
});

export type AppRouter = typeof appRouter;
