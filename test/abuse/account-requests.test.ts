import { describe, expect, it } from 'vitest';
import { createAccountRequests } from '../../server/abuse/account-requests.js';
import { createLimiterFactory } from '../../server/abuse/limiter-store.js';
import { RetryLater } from '../../server/abuse/retry-later.js';

describe('the limit on sign-ups and reset requests', () => {
  const limits = { ipMax: 3, ipWindowSeconds: 60, addressMax: 2, addressWindowSeconds: 60 };
  const fresh = () => createAccountRequests(createLimiterFactory(undefined, `test-${Math.random()}`), limits);

  it('counts an address however it is typed, from every IP, and refuses it past its limit with a wait', async () => {
    const requests = fresh();
    await requests.take('192.0.2.1', 'Ann@Example.com');
    await requests.take('192.0.2.2', ' ann@example.com ');
    const refused = await requests.take('192.0.2.3', 'ANN@EXAMPLE.COM').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RetryLater);
    expect(refused).toMatchObject({ code: 'auth.too_many_attempts', httpStatus: 429 });
    expect((refused as RetryLater).retryAfterSeconds).toBeGreaterThan(0);
    await expect(requests.take('192.0.2.3', 'bob@example.com')).resolves.toBeUndefined();
  });

  it('refuses an IP past its limit whatever addresses it names, and leaves other IPs alone', async () => {
    const requests = fresh();
    for (const address of ['a@example.com', 'b@example.com', 'c@example.com']) await requests.take('192.0.2.9', address);
    await expect(requests.take('192.0.2.9', 'd@example.com')).rejects.toThrow(/^Too many requests from your network/);
    await expect(requests.take('192.0.2.10', 'd@example.com')).resolves.toBeUndefined();
  });
});
