/**
 * /api/v2 over plain HTTP, as any script written for Auth0 calls it: a bearer token, a JSON body,
 * and the answer's status with its parsed body (undefined when empty, as a 204's).
 */
export interface ApiV2Call {
  method?: string;
  body?: unknown;
}

export async function callApiV2<Body = unknown>(
  issuer: string,
  bearer: string,
  path: string,
  { method = 'GET', body }: ApiV2Call = {},
): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${issuer}/api/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Body };
}
