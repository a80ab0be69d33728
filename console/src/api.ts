/**
 * The management API through the typed tRPC client (AppRouter), on the same origin, with the
 * signed-in operator's access token read at each call so a renewed token is used at once.
 * Subscriptions (users.events) go over server-sent events through the `eventsource` package,
 * whose fetch can carry the Authorization header that the browser's own EventSource cannot.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../trpc/index.js';

export type Api = ReturnType<typeof createApi>;

export function createApi(accessToken: () => string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: '/trpc',
          EventSource,
          eventSourceOptions: () => ({
            fetch: (url, init) =>
              fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${accessToken()}` } }),
          }),
        }),
        false: httpBatchLink({ url: '/trpc', headers: () => ({ authorization: `Bearer ${accessToken()}` }) }),
      }),
    ],
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
