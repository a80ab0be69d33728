import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTessera } from '../support/tessera.js';

describe('the upstream callback refuses answers that belong to no login', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(() => tessera?.stop());

  it('refuses a callback without state, with a page saying so', async () => {
    const response = await fetch(`${tessera.issuer}/login/callback?code=abc`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/html/);
    expect(await response.text()).toContain('missing state');
  });

  it('refuses an unknown state, whether it arrives in the query or as a posted RelayState', async () => {
    const query = await fetch(`${tessera.issuer}/login/callback?code=abc&state=never-issued`);
    expect(query.status).toBe(400);
    expect(await query.text()).toContain('This login has expired, was already used, or does not match its state.');
    const posted = await fetch(`${tessera.issuer}/login/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: 'PHNhbWw+', RelayState: 'never-issued' }),
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('does not match its state');
  });

  it('takes a flow exactly once', async () => {
    await tessera.services.flows.save('flow-once', { kind: 'upstream' }, 60);
    expect(await tessera.services.flows.take('flow-once')).toEqual({ kind: 'upstream' });
    expect(await tessera.services.flows.take('flow-once')).toBeUndefined();
  });

  it('remembers a replay key until it expires', async () => {
    const later = new Date(Date.now() + 60_000);
    expect(await tessera.services.flows.remember('assertion-1', later)).toBe(true);
    expect(await tessera.services.flows.remember('assertion-1', later)).toBe(false);
    expect(await tessera.services.flows.remember('assertion-2', new Date(Date.now() - 1000))).toBe(true);
    expect(await tessera.services.flows.remember('assertion-2', later)).toBe(true);
  });
});
