/**
 * The package's public entry: the management API's router type, for a fully typed @trpc/client.
 */
export type { AppRouter } from './routers/_app.js';
