import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserEvent } from '../../server/events/event-bus.js';
import { runCli } from '../support/cli.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { discover, login } from '../support/relying-party.js';
import { waitFor } from '../support/spawn-tessera.js';
import { startTestTessera } from '../support/tessera.js';

// The CLI has exited before these are checked; what is left is a notification on its way.
const HEARD_WITHIN_MS = 2_000;

describe('the operator CLI beside a running server without Redis', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let folder: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    folder = await mkdtemp(path.join(tmpdir(), 'tessera-cli-beside-'));
  });
  afterAll(async () => {
    await tessera?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it("an import that blocks a signed-in user ends their tokens on the server, shows the new profile and tells the server's subscribers", async () => {
    const client = await createClient(tessera);
    const user = await createUser(tessera, { given_name: 'Before' });
    const userId = user.profile.user_id;
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const { tokens } = await login(config, { scope: 'openid profile offline_access', username: user.email, password: user.password });
    // The server now holds the access token, its grant and the profile in memory.
    expect((await oidc.fetchUserInfo(config, tokens.access_token, userId)).given_name).toBe('Before');
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ blocked: false, given_name: 'Before' });

    const heard: UserEvent[] = [];
    const controller = new AbortController();
    const subscription = (async () => {
      for await (const event of tessera.services.events.subscribe({ userId, signal: controller.signal })) heard.push(event);
    })().catch(() => undefined);

    const at = path.join(folder, 'block.ndjson');
    await writeFile(at, `${JSON.stringify({ email: user.email, blocked: true, given_name: 'After' })}\n`);
    const run = await runCli(tessera, ['import', at, '--upsert']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });

    const userinfo = () => fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    await waitFor(async () => (await userinfo()).status === 401, HEARD_WITHIN_MS);
    expect((await userinfo()).headers.get('www-authenticate')).toMatch(/invalid_token/);
    await waitFor(async () => (await admin.users.get.query({ id: userId })).blocked === true, HEARD_WITHIN_MS);
    expect(await admin.users.get.query({ id: userId })).toMatchObject({ blocked: true, given_name: 'After' });
    await waitFor(async () => heard.some((event) => event.type === 'user.updated'), HEARD_WITHIN_MS);
    controller.abort();
    await subscription;
    expect(heard.map((event) => [event.type, event.user_id])).toEqual([
      ['user.blocked', userId],
      ['user.updated', userId],
    ]);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
