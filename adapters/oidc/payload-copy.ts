/**
 * A deep copy of an artifact's payload. Payloads are JSON data (the Redis and PostgreSQL stores
 * keep them as JSON), and oidc-provider changes nested parts of those it reads (a grant's
 * scopes) before it saves them, so a store that hands them out of memory hands out copies.
 * A tenth of the cost of structuredClone on these small payloads.
 */
export function copyPayload<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyPayload) as T;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyPayload((value as Record<string, unknown>)[key]);
    // A plain assignment to "__proto__" would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
    else result[key] = item;
  }
  return result as T;
}
