/**
 * The account page's static site: the same router as the console's, under /account, with the
 * settings the page starts from. The bundle is a stand-in written by the test, so what is
 * asserted holds whether or not account/dist has been built in this checkout.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountRouter } from '../../../server/accounts/account-site.js';
import { startTestTessera } from '../../support/tessera.js';

const ISSUER = 'https://id.example.com';

async function serve(bundleDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Koa();
  app.use(createAccountRouter(ISSUER, bundleDir).routes());
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('account page site', () => {
  let folder: string;
  let built: Awaited<ReturnType<typeof serve>>;
  let unbuilt: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'account-site-'));
    const bundle = path.join(folder, 'dist');
    await mkdir(path.join(bundle, 'assets'), { recursive: true });
    await writeFile(
      path.join(bundle, 'index.html'),
      '<!doctype html><div id="root"></div><script type="module" src="/account/assets/index-1a2b3c.js"></script>',
    );
    await writeFile(path.join(bundle, 'assets', 'index-1a2b3c.js'), 'console.log("account");');
    await writeFile(path.join(folder, 'secret.txt'), 'outside the bundle');
    built = await serve(bundle);
    unbuilt = await serve(path.join(folder, 'nothing-here'));
  });
  afterAll(async () => {
    await built?.close();
    await unbuilt?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it.each(['/account', '/account/', '/account/callback', '/account/security'])(
    'answers %s with the page, revalidated each time, under the console’s policy with no inline script',
    async (page) => {
      const response = await fetch(`${built.url}${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(await response.text()).toContain('<div id="root"></div>');
    },
  );

  it('serves a built asset with a year-long immutable cache, and 404 for a name never built or a path out of the bundle', async () => {
    const asset = await fetch(`${built.url}/account/assets/index-1a2b3c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('max-age=31536000,immutable');
    expect(await asset.text()).toContain('account');
    expect((await fetch(`${built.url}/account/assets/index-missing.js`)).status).toBe(404);
    for (const outside of ['/account/assets/..%2F..%2Fsecret.txt', '/account/assets/..%2Findex.html', '/account/assets/.hidden']) {
      const response = await fetch(`${built.url}${outside}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('outside the bundle');
    }
  });

  it('answers 503 saying the page is not built while there is no bundle, and still gives its settings', async () => {
    const response = await fetch(`${unbuilt.url}/account/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('has not been built');
    expect((await fetch(`${unbuilt.url}/account/settings.json`)).status).toBe(200);
  });

  describe('mounted in Tessera', () => {
    let tessera: Awaited<ReturnType<typeof startTestTessera>>;

    beforeAll(async () => {
      tessera = await startTestTessera();
    });
    afterAll(async () => {
      await tessera?.stop();
    });

    it('tells the page its issuer, its own client, the management API and every self-service scope with openid profile email', async () => {
      const response = await fetch(`${tessera.issuer}/account/settings.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const settings = (await response.json()) as { scopes: string[] };
      expect(settings).toEqual({
        issuer: tessera.issuer,
        client_id: 'tessera-account',
        audience: `${tessera.issuer}/api/v2/`,
        scopes: expect.any(Array),
      });
      expect([...settings.scopes].sort()).toEqual(
        [
          'openid',
          'profile',
          'email',
          'read:current_user',
          'update:current_user_metadata',
          'update:current_user',
          'update:current_user_identities',
          'delete:current_user',
        ].sort(),
      );
    });

    it('answers /account with the page or, before the bundle is built, a 503 saying so: never a 404 or a 500', async () => {
      const response = await fetch(`${tessera.issuer}/account/`);
      expect([200, 503]).toContain(response.status);
      if (response.status === 503) expect(await response.text()).toContain('has not been built');
      else expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    });
  });
});
