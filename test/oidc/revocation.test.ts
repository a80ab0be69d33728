import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login, openLoginPage } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

describe('blocking or deleting a user ends everything it holds at once', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let receiver: Server;
  const logoutTokens: string[] = [];
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) logoutTokens.push(token);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    client = await createClient(tessera, {
      backchannel_logout_uri: `http://127.0.0.1:${port}/backchannel-logout`,
      backchannel_logout_session_required: true,
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    receiver?.close();
  });

  it.each([
    ['blocking', (admin: Awaited<ReturnType<typeof adminClient>>, id: string) => admin.users.update.mutate({ id, blocked: true })],
    ['deleting', (admin: Awaited<ReturnType<typeof adminClient>>, id: string) => admin.users.delete.mutate({ id })],
  ])('%s revokes refresh tokens, ends the session and sends a back-channel logout token', async (_name, act) => {
    const user = await createUser(tessera);
    const { tokens, browser } = await login(config, { scope: 'openid offline_access', username: user.email, password: user.password });
    const sid = tokens.claims()?.['sid'];
    expect(sid).toBeTruthy();
    logoutTokens.length = 0;

    await act(await adminClient(tessera.issuer), user.profile.user_id);

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const userinfo = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    // The browser's session is gone: the next authorization request shows the login form again.
    const again = await openLoginPage(config, 'openid', {}, browser);
    expect('html' in again.page && again.page.document.querySelector('input[name=password]')).toBeTruthy();

    expect(logoutTokens).toHaveLength(1);
    const { payload } = await jwtVerify(logoutTokens[0]!, createRemoteJWKSet(new URL(`${tessera.issuer}/jwks`)), {
      issuer: tessera.issuer,
      audience: client.client_id,
    });
    expect(payload).toMatchObject({ sub: user.profile.user_id, sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
  });
});
