import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORER_POLICY, serveApiDescription } from '../../../trpc/api-v2/explorer.js';
import { API_V2_OPERATIONS } from '../../../trpc/api-v2/operations/index.js';
import { launchChromium, pageErrors } from '../../support/chromium.js';
import { adminClient, clientCredentialsToken } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the API explorer at /api/v2/docs and its OpenAPI document', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let chromium: Browser;

  beforeAll(async () => {
    tessera = await startTestTessera();
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
  });

  /**
   * The explorer in a fresh context, with every request the page made and every error it reported;
   * `violations` also reads the page's own CSP violation events, beside the console's errors. One is
   * expected and left out: the zod inside Scalar's bundle tries `new Function("")` once, in a
   * try/catch, to learn whether it may compile parsers, and parses without when refused: the policy
   * keeps eval refused.
   */
  async function openExplorer(): Promise<{ page: Page; requests: URL[]; errors: string[]; violations: () => Promise<string[]> }> {
    const context = await chromium.newContext();
    await context.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { cspViolations: seen });
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    const page = await context.newPage();
    const errors = pageErrors(page);
    const requests: URL[] = [];
    page.on('request', (request) => requests.push(new URL(request.url())));
    await page.goto(`${tessera.issuer}/api/v2/docs`);
    const violations = async () =>
      (await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).filter(
        (seen) => seen !== 'script-src eval',
      );
    return { page, requests, errors, violations };
  }

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${tessera.issuer}/api/v2/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as { openapi: string; servers: Array<{ url: string }> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: `${tessera.issuer}/api/v2` }]);
  });

  it('serves the page under its own policy and Scalar from Tessera, compressed and cached by version', async () => {
    const page = await fetch(`${tessera.issuer}/api/v2/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(EXPLORER_POLICY);
    const script = /<script src="([^"]+)"><\/script>/.exec(await page.text())?.[1];
    expect(script).toMatch(/^\/api\/v2\/docs\/scalar\.js\?v=[\w-]{16}$/);
    const bundle = await fetch(`${tessera.issuer}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(bundle.headers.get('content-encoding')).toBe('gzip');
    expect(bundle.headers.get('cache-control')).toContain('immutable');
    expect(await bundle.text()).toContain('createApiReference');
  });

  it('answers 503 saying so when the Scalar bundle is not installed, and still serves the document', async () => {
    const router = new Router({ prefix: '/api/v2' });
    serveApiDescription(router, {
      prefix: '/api/v2',
      document: () => ({ openapi: '3.1.0' }),
      bundleFile: path.join(tmpdir(), 'no-such-scalar.js'),
    });
    const app = new Koa().use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
    try {
      const page = await fetch(`${base}/docs`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('not installed');
      expect(await (await fetch(`${base}/openapi.json`)).json()).toEqual({ openapi: '3.1.0' });
    } finally {
      server.close();
    }
  });

  it('lists every operation with its scopes, and asks nothing of any host but Tessera', async () => {
    const { page, requests, errors, violations } = await openExplorer();
    const sidebar = page.getByRole('navigation').first();
    await sidebar
      .getByRole('button', { name: /^Get a user/ })
      .first()
      .waitFor();
    for (const tag of new Set(API_V2_OPERATIONS.map((op) => op.tag))) {
      // The first group starts open; the others open on a click.
      const closed = sidebar.getByRole('button', { name: new RegExp(`^${escaped(tag)}\\s*Open Group$`) });
      if ((await closed.count()) > 0) await closed.click();
      for (const op of API_V2_OPERATIONS.filter((listed) => listed.tag === tag)) {
        await sidebar
          .getByRole('button', { name: new RegExp(`^${escaped(op.summary)}\\s*HTTP Method`) })
          .first()
          .waitFor();
      }
    }
    await page.getByText('Scopes: read:users').first().waitFor();
    await page.getByText('Scopes: delete:users').first().waitFor();
    expect(new Set(requests.map((url) => url.origin))).toEqual(new Set([tessera.issuer]));
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it('tries GET /users/{id} with a bearer token and shows the 200, with its curl command', async () => {
    const admin = await adminClient(tessera.issuer);
    const user = await admin.users.create.mutate({
      connection: 'Username-Password',
      email: 'explorer@example.com',
      password: 'a long password',
    });
    const token = await clientCredentialsToken(tessera.issuer, 'read:users');
    const { page, requests, errors, violations } = await openExplorer();

    await page.getByRole('button', { name: /^Test Request\s*\(get \/users\/\{id\}\)$/ }).click();
    const client = page.getByRole('dialog', { name: 'API Client' });
    await client.getByLabel('Bearer Token').fill(token);
    await client.getByRole('button', { name: /Code Snippet/ }).click();
    const idRow = client
      .locator('tr')
      .filter({ hasText: 'Required' })
      .filter({ has: page.getByText('id', { exact: true }) });
    await idRow.getByRole('textbox').last().click();
    await page.keyboard.type(String(user.user_id));
    // The editor hands its value over when it loses focus; the curl command shows it has.
    await page.keyboard.press('Tab');
    const curl = client.locator('code.language-curl').filter({ hasText: `/api/v2/users/${user.user_id}'` });
    await curl.waitFor();
    expect(await curl.textContent()).toContain(`--header 'Authorization: Bearer ${token}'`);

    const answered = page.waitForResponse((response) => new URL(response.url()).pathname.startsWith('/api/v2/users/'));
    await client.getByRole('button', { name: /^Send/ }).first().click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers()['authorization']).toBe(`Bearer ${token}`);
    expect(decodeURIComponent(new URL(response.url()).pathname)).toBe(`/api/v2/users/${user.user_id}`);
    await client.getByText('explorer@example.com').first().waitFor();
    await client
      .getByText(/200\s*OK/)
      .first()
      .waitFor();
    // persistAuth is off: the token lives in the page, not in the origin's storage.
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    expect(stored).not.toContain(token);
    expect(new Set(requests.map((url) => url.origin))).toEqual(new Set([tessera.issuer]));
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
  });
});
