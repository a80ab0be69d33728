/**
 * The console's static site over HTTP: its page under any path of /admin with the console's
 * strict policy, hashed assets cached for a year, the settings the bundle starts from.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CLIENT_ID } from '../../../server/clients/console-client.js';
import { CONSOLE_BUNDLE_DIR } from '../../../server/console/console-site.js';
import { MANAGEMENT_SCOPES } from '../../../server/oidc/management-api.js';
import { startTestTessera } from '../../support/tessera.js';

describe('admin console site', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it.each(['/admin', '/admin/', '/admin/users', '/admin/users/database%7Cabc'])(
    'answers %s with the console page, revalidated each time, under a policy with no inline script',
    async (page) => {
      const response = await fetch(`${tessera.issuer}${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).toContain("frame-ancestors 'none'");
      const body = await response.text();
      expect(body).toContain('<div id="root"></div>');
      expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    },
  );

  it('serves every built asset with a year-long immutable cache, and 404 for a name it never built', async () => {
    const assets = await readdir(path.join(CONSOLE_BUNDLE_DIR, 'assets'));
    expect(assets.some((file) => file.endsWith('.js'))).toBe(true);
    for (const file of assets) {
      const response = await fetch(`${tessera.issuer}/admin/assets/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('max-age=31536000,immutable');
      await response.arrayBuffer();
    }
    expect((await fetch(`${tessera.issuer}/admin/assets/index-missing.js`)).status).toBe(404);
    expect((await fetch(`${tessera.issuer}/admin/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('tells the bundle its issuer, client, audience and the management scopes to ask for', async () => {
    const response = await fetch(`${tessera.issuer}/admin/settings.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      issuer: tessera.issuer,
      client_id: CONSOLE_CLIENT_ID,
      audience: `${tessera.issuer}/api/v2/`,
      scopes: [...MANAGEMENT_SCOPES],
    });
  });
});
