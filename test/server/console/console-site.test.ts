/**
 * The console's static site over HTTP: its page under any path of /admin with the console's
 * strict policy, hashed assets cached for a year, the settings the bundle starts from, and a
 * download the client dropped logged as such rather than printed as a stack.
 */
import { readdir, stat } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONSOLE_CLIENT_ID } from '../../../server/clients/console-client.js';
import { CONSOLE_BUNDLE_DIR } from '../../../server/console/console-site.js';
import { createLogger } from '../../../server/logger.js';
import { MANAGEMENT_SCOPES } from '../../../server/oidc/management-api.js';
import { logSink } from '../../support/log-sink.js';
import { startTestTessera } from '../../support/tessera.js';

describe('admin console site', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  const logs: Array<{ level: number; msg: string; code?: string }> = [];

  beforeAll(async () => {
    tessera = await startTestTessera({ logger: createLogger('debug', logSink(logs)) });
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

  it('logs a download the client dropped halfway as the client going away, never a stack on stderr', async () => {
    const assets = await readdir(path.join(CONSOLE_BUNDLE_DIR, 'assets'));
    const sizes = await Promise.all(
      assets.map(async (file) => ({ file, size: (await stat(path.join(CONSOLE_BUNDLE_DIR, 'assets', file))).size })),
    );
    const largest = sizes.sort((a, b) => b.size - a.size)[0]?.file;
    const printed = vi.spyOn(console, 'error');
    try {
      await new Promise<void>((resolve, reject) => {
        const call = request(`${tessera.issuer}/admin/assets/${largest}`, (response) => {
          // The first chunk, then the connection is cut while the rest is still being sent.
          response.once('data', () => {
            call.destroy();
            resolve();
          });
        });
        call.on('error', (error) => (call.destroyed ? undefined : reject(error)));
        call.end();
      });
      await vi.waitFor(() => expect(logs.some((line) => line.msg === 'the client went away before the answer was sent')).toBe(true));
      expect(logs.filter((line) => line.level >= 50)).toEqual([]);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });
});
