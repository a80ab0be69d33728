/**
 * The management API through the typed tRPC client (AppRouter), on the same origin, with the
 * signed-in operator's access token read at each call so a renewed token is used at once.
 */
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../trpc/index.js';

export type Api = ReturnType<typeof createApi>;

export function createApi(accessToken: () => string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: '/trpc', headers: () => ({ authorization: `Bearer ${accessToken()}` }) })],
  });
}

export interface ApiFailure {
  code: string;
  message: string;
  field?: string;
}

/** What the page shows of a failed call: the API's message and, for BAD_REQUEST, the field it names. */
export function describeFailure(error: unknown): ApiFailure {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: string; field?: string };
    return { code: data.code ?? 'UNKNOWN', message: error.message, ...(data.field ? { field: data.field } : {}) };
  }
  return { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
}

export function isSignedOut(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}
