import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tessera } from '../../server/tessera.js';
import { startTestTessera } from '../support/tessera.js';

describe('discovery and the JWKS, rendered once per provider', () => {
  let tessera: Tessera & { issuer: string };

  beforeAll(async () => {
    tessera = await startTestTessera();
  }, 60_000);

  afterAll(async () => {
    await tessera?.stop();
  });

  it('answers the same document with the same ETag every time, and 304 to a request that holds it', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const first = await fetch(`${tessera.url}${path}`);
      const second = await fetch(`${tessera.url}${path}`, { headers: { origin: 'https://app.example.com' } });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag).toBeTruthy();
      expect(second.headers.get('etag')).toBe(etag);
      expect(await second.json()).toEqual(await first.json());
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(second.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(second.headers.get('x-content-type-options')).toBe('nosniff');
      // fetch marks a conditional request no-cache unless told otherwise, and no-cache asks for the full document.
      const cached = await fetch(`${tessera.url}${path}`, { headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' } });
      expect(cached.status).toBe(304);
    }
    const discovery = (await (await fetch(`${tessera.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(tessera.issuer);
  });

  it('publishes the new keys from the first request after a rotation, under a new ETag', async () => {
    const before = await fetch(`${tessera.url}/jwks`);
    const oldEtag = before.headers.get('etag');
    await before.json();
    const rotated = await tessera.services.management.keys.rotate();
    const after = await fetch(`${tessera.url}/jwks`, { headers: { 'if-none-match': oldEtag ?? '' } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(oldEtag);
    const { keys } = (await after.json()) as { keys: Array<{ kid: string }> };
    for (const key of rotated) expect(keys.map((published) => published.kid)).toContain(key.kid);
  });
});
