/**
 * A real @trpc/client for the management API, authenticated with a client_credentials token
 * (or any bearer token a test gives it).
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../trpc/index.js';
import { ADMIN } from './tessera.js';

export async function clientCredentialsToken(issuer: string, scope?: string, credentials = ADMIN): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

export function managementClient(issuer: string, token: string | undefined) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${issuer}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
          }),
        }),
        false: httpBatchLink({ url: `${issuer}/trpc`, headers }),
      }),
    ],
  });
}

export async function adminClient(issuer: string, scope?: string) {
  return managementClient(issuer, await clientCredentialsToken(issuer, scope));
}

/** The tRPC error code a call failed with. */
export async function errorOf(
  call: Promise<unknown>,
): Promise<{ code: string; message: string; httpStatus: number | undefined; field: string | undefined }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code: string; httpStatus?: number; field?: string } | undefined;
      return { code: data?.code ?? 'UNKNOWN', message: error.message, httpStatus: data?.httpStatus, field: data?.field };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}
