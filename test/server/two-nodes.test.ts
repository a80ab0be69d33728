import { decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { basicAuthorization } from '../../bench/target.js';
import { isPage, type Page } from '../support/browser.js';
import { createTestDatabase } from '../support/databases.js';
import { adminClient, clientCredentialsToken, managementClient } from '../support/management-client.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { type Spawned, spawnTessera, waitFor } from '../support/spawn-tessera.js';
import { ADMIN } from '../support/tessera.js';

/** The same request, sent to the other node: every URL the provider hands out names node A. */
function onNode(url: string, port: number): string {
  const moved = new URL(url);
  moved.port = String(port);
  return moved.toString();
}

describe('two Tessera nodes on one PostgreSQL and one Redis', () => {
  const nodes: Spawned[] = [];
  let issuer: string;
  let portB: number;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const portA = await freePort();
    portB = await freePort();
    issuer = `http://127.0.0.1:${portA}`;
    const shared = {
      ISSUER: issuer,
      DATABASE_URL: databaseUrl,
      REDIS_URL: inject('redisUrl'),
      ADMIN_CLIENT_ID: ADMIN.clientId,
      ADMIN_CLIENT_SECRET: ADMIN.clientSecret,
      LOG_LEVEL: 'warn',
    };
    // One after the other: the second finds the schema and keys the first created.
    nodes.push(spawnTessera({ ...shared, PORT: String(portA) }));
    await waitFor(async () => (await fetch(`${issuer}/healthz`)).ok, 60_000);
    nodes.push(spawnTessera({ ...shared, PORT: String(portB) }));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${portB}/healthz`)).ok, 60_000);
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes) {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  it('shows a write acknowledged by node A on node B right away, through users.get and /userinfo', async () => {
    const adminA = await adminClient(issuer);
    const adminB = await adminClient(`http://127.0.0.1:${portB}`);
    const web = await adminA.clients.create.mutate({ name: 'Two Nodes', redirect_uris: [REDIRECT_URI] });
    const user = await adminA.users.create.mutate({
      connection: 'Username-Password',
      email: 'both@example.com',
      password: 'a long password',
      name: 'Before',
    });

    const config = await discover(issuer, web.client_id, web.client_secret!);
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid profile');
    if (!isPage(page)) throw new Error('expected the login page');
    const done = await browser.submit(page, { username: 'both@example.com', password: 'a long password' }, REDIRECT_URI);
    if (isPage(done)) throw new Error('login did not complete');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });

    const userinfoOnB = async () =>
      (await (
        await fetch(`http://127.0.0.1:${portB}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      ).json()) as { name?: string };
    expect((await userinfoOnB()).name).toBe('Before');
    expect((await adminB.users.get.query({ id: user.user_id! })).name).toBe('Before');

    for (let round = 0; round < 5; round += 1) {
      await adminA.users.update.mutate({ id: user.user_id!, name: `After ${round}` });
      expect((await adminB.users.get.query({ id: user.user_id! })).name).toBe(`After ${round}`);
      expect((await userinfoOnB()).name).toBe(`After ${round}`);
    }
  });

  it('completes on node B a login started on node A', async () => {
    const adminA = await adminClient(issuer);
    const web = await adminA.clients.create.mutate({ name: 'Hop', redirect_uris: [REDIRECT_URI] });
    await adminA.users.create.mutate({ connection: 'Username-Password', email: 'hop@example.com', password: 'a long password' });
    const config = await discover(issuer, web.client_id, web.client_secret!);
    const { page, browser, codeVerifier, state, nonce } = await openLoginPage(config, 'openid email');
    if (!isPage(page)) throw new Error('expected the login page');
    const form = page.document.querySelector('form')!;
    form.setAttribute('action', onNode(new URL(form.getAttribute('action')!, page.url).toString(), portB));
    // The provider's redirects are relative, so the rest of the flow stays on node B.
    const resumed = await browser.submit(page, { username: 'hop@example.com', password: 'a long password' }, REDIRECT_URI);
    if (isPage(resumed)) throw new Error(`node B did not finish the flow: ${resumed.status} ${resumed.html.slice(0, 200)}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(resumed.redirect), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.['email']).toBe('hop@example.com');
  });

  it('shares the brute-force count through Redis: 5 wrong passwords on node A and 5 on node B block the 11th attempt on both', async () => {
    const adminA = await adminClient(issuer);
    const web = await adminA.clients.create.mutate({ name: 'Guessed', redirect_uris: [REDIRECT_URI] });
    await adminA.users.create.mutate({ connection: 'Username-Password', email: 'guessed@example.com', password: 'a long password' });
    const config = await discover(issuer, web.client_id, web.client_secret!);
    const opened = await openLoginPage(config, 'openid');
    if (!isPage(opened.page)) throw new Error('expected the login page');
    let current: Page = opened.page;
    const submitOn = async (port: number, password: string) => {
      const form = current.document.querySelector('form')!;
      form.setAttribute('action', onNode(new URL(form.getAttribute('action')!, current.url).toString(), port));
      const next = await opened.browser.submit(current, { username: 'guessed@example.com', password }, REDIRECT_URI);
      if (!isPage(next)) throw new Error(`logged in on port ${port} though the password had been guessed at 10 times`);
      current = next;
      return next.status;
    };
    const portA = Number(new URL(issuer).port);
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 10; attempt += 1)
      statuses.push(await submitOn(attempt % 2 ? portA : portB, `wrong password ${attempt}`));
    expect(statuses).toEqual(Array<number>(10).fill(401));
    expect(await submitOn(portA, 'a long password')).toBe(429);
    expect(await submitOn(portB, 'a long password')).toBe(429);
  });

  it('carries a key rotation on node A to node B by signal: B publishes the new keys and accepts tokens they sign', async () => {
    const adminA = await adminClient(issuer);
    const rotated = await adminA.keys.rotate.mutate();
    const newKids = rotated.map((key) => key.kid);
    await waitFor(async () => {
      const jwks = (await (await fetch(`http://127.0.0.1:${portB}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      return newKids.every((kid) => jwks.keys.some((key) => key.kid === kid));
    }, 5_000);
    const token = await clientCredentialsToken(issuer);
    expect(newKids).toContain(decodeProtectedHeader(token).kid);
    const onB = managementClient(`http://127.0.0.1:${portB}`, token);
    expect(await onB.users.getByEmail.query({ email: 'nobody@example.com' })).toEqual([]);
  });

  it('signs the next token node B issues with the signing_alg just set on node A, for the management API and a custom API', async () => {
    const adminA = await adminClient(issuer);
    const builtIn = (await adminA.resourceServers.list.query()).resource_servers.find((api) => api.is_system)!;
    const machine = await adminA.clients.create.mutate({ name: 'Both nodes', grant_types: ['client_credentials'] });
    const credentials = { clientId: machine.client_id, clientSecret: machine.client_secret! };
    const api = await adminA.resourceServers.create.mutate({
      identifier: 'https://two-nodes.example.com/',
      name: 'Two nodes',
      scopes: [{ value: 'read:things' }],
      client_grants: [{ client_id: machine.client_id, scope: ['read:things'] }],
    });
    const nodeB = `http://127.0.0.1:${portB}`;
    const tokenOnB = async (resource?: string) => {
      const response = await fetch(`${nodeB}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(credentials),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...(resource ? { resource } : {}) }),
      });
      return decodeProtectedHeader(((await response.json()) as { access_token: string }).access_token).alg;
    };
    expect(await tokenOnB(api.identifier)).toBe('RS256');
    expect(decodeProtectedHeader(await clientCredentialsToken(nodeB)).alg).toBe('RS256');
    try {
      for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
        await adminA.resourceServers.update.mutate({ id: api.id, signing_alg: alg });
        await adminA.resourceServers.update.mutate({ id: builtIn.id, signing_alg: alg });
        expect(await tokenOnB(api.identifier)).toBe(alg);
        expect(decodeProtectedHeader(await clientCredentialsToken(nodeB)).alg).toBe(alg);
      }
    } finally {
      await adminA.resourceServers.update.mutate({ id: builtIn.id, signing_alg: 'RS256' });
    }
  });

  it('carries a client change made on node A to node B', async () => {
    const adminA = await adminClient(issuer);
    const web = await adminA.clients.create.mutate({ name: 'Moving', redirect_uris: [REDIRECT_URI] });
    const authorize = (redirectUri: string) =>
      fetch(
        `http://127.0.0.1:${portB}/auth?client_id=${web.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
        { redirect: 'manual' },
      );
    const added = 'http://127.0.0.1:9/added';
    expect((await authorize(REDIRECT_URI)).status).toBe(303);
    expect((await authorize(added)).status).toBe(400);
    await adminA.clients.update.mutate({ client_id: web.client_id, redirect_uris: [REDIRECT_URI, added] });
    await waitFor(async () => (await authorize(added)).status === 303, 2_000);
  });
});
