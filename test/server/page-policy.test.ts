/**
 * The Content-Security-Policy of the pages oidc-provider writes itself: its auto-submitting forms
 * (response_mode=form_post, and the sign-out before another person signs in in the same browser)
 * run because the policy allows their one script by hash; other pages allow no script, and
 * answers that are not pages carry no policy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_POLICY } from '../../server/interactions/page.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('page policy', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it('allows the form_post page its own inline script by hash, and nothing else', async () => {
    const client = await createClient(tessera);
    const person = await createUser(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { page, browser } = await openLoginPage(config, 'openid', { response_mode: 'form_post' });
    if (!isPage(page)) throw new Error('expected the login page');
    expect(page.headers?.get('content-security-policy')).toBe(PAGE_POLICY);

    const posted = await browser.submit(page, { username: person.email, password: person.password });
    if (!isPage(posted)) throw new Error(`expected the form_post page, got a redirect to ${posted.redirect}`);
    const script = /<script>([\s\S]*?)<\/script>/.exec(posted.html)?.[1] ?? '';
    expect(script).toContain('submit()');
    const hash = createHash('sha256').update(script).digest('base64');
    const policy = posted.headers?.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(
      policy
        .split(';')
        .find((directive) => directive.trim().startsWith('script-src'))
        ?.trim(),
    ).toBe(`script-src 'sha256-${hash}'`);
  });

  it('sets no policy on an answer that is not a page', async () => {
    const response = await fetch(`${tessera.issuer}/.well-known/openid-configuration`);
    expect(response.headers.get('content-security-policy')).toBeNull();
  });
});
