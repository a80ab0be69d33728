/**
 * users.mail: an operator with read:users sees a user's messages (kind, status, attempts, last
 * error) and never the message or its link; other scopes are refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import type { Profile } from '../../server/profiles/profile.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

describe('users.mail', () => {
  let tessera: CallerTessera;
  let dataDir: string;
  let ann: Profile;
  let bob: Profile;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-users-mail-'));
    tessera = await openCallerTessera({ env: { DATA_DIR: dataDir } });
    const create = (email: string) =>
      tessera.services.profiles.createDatabaseUser({ connection: DEFAULT_DATABASE_CONNECTION, email, password: 'correct horse battery' });
    [ann, bob] = [await create('ann@example.com'), await create('bob@example.com')];
  });
  afterAll(async () => {
    await tessera.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("lists a user's messages with their status and no message body", async () => {
    const link = 'https://tessera.test/reset?token=never-shown-to-operators';
    await tessera.services.mailer.send({ to: 'ann@example.com', kind: 'reset_password', values: { link }, userId: ann.user_id });
    const listed = await tessera.as(['read:users']).users.mail({ id: ann.user_id });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ kind: 'reset_password' });
    expect(['pending', 'sent']).toContain(listed[0]?.status);
    expect(JSON.stringify(listed)).not.toContain('never-shown-to-operators');
    expect(await tessera.as(['read:users']).users.mail({ id: bob.user_id })).toEqual([]);
  });

  it('answers NOT_FOUND for an id that is no user, as users.get does', async () => {
    expect(await callErrorOf(tessera.as(['read:users']).users.mail({ id: 'auth0|nobody-here' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a caller without read:users', async () => {
    expect(await callErrorOf(tessera.allBut('read:users').users.mail({ id: ann.user_id }))).toMatchObject({ code: 'FORBIDDEN' });
  });
});
