/**
 * Raw requests to the token endpoints, authenticated with client_secret_basic: a test sees the
 * status and headers as sent, and can fire many at once or at any node.
 */
import { basicAuthorization } from '../../bench/target.js';

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

export interface TokenAnswerBody {
  error?: string;
  error_description?: string;
  access_token?: string;
  refresh_token?: string;
}

function postForm(url: string, client: ClientCredentials, form: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization({ clientId: client.client_id, clientSecret: client.client_secret }),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  });
}

/** A POST to `${url}/token`. */
export async function tokenRequest(url: string, client: ClientCredentials, form: Record<string, string>) {
  const response = await postForm(`${url}/token`, client, form);
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as TokenAnswerBody,
  };
}

export type TokenAnswer = Awaited<ReturnType<typeof tokenRequest>>;

export const refresh = (url: string, client: ClientCredentials, refreshToken: string) =>
  tokenRequest(url, client, { grant_type: 'refresh_token', refresh_token: refreshToken });

/** Whether `${url}/token/introspection` calls the refresh token active. */
export async function refreshTokenActive(url: string, client: ClientCredentials, refreshToken: string): Promise<boolean> {
  const response = await postForm(`${url}/token/introspection`, client, { token: refreshToken, token_type_hint: 'refresh_token' });
  if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
  return ((await response.json()) as { active: boolean }).active;
}

/** `${url}/token/revocation` of a refresh token; its status. */
export async function revokeRefreshToken(url: string, client: ClientCredentials, refreshToken: string): Promise<number> {
  const response = await postForm(`${url}/token/revocation`, client, { token: refreshToken, token_type_hint: 'refresh_token' });
  await response.body?.cancel();
  return response.status;
}
