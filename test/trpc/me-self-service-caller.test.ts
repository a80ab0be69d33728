/**
 * me.delete with ACCOUNT_DELETION on, and me.changePassword for a custom database user, through
 * createCaller: deletion goes through the user service (the user gone, user.deleted published);
 * a custom user's current password is proven by the connection's login script and the new one
 * handed to its changePassword.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyDatabase, LEGACY_SCRIPT, type LegacyDatabase } from '../fixtures/custom-db/legacy-database.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';
import { takeEvents } from '../support/take-events.js';

describe('me.* for self-deletion and custom database users', () => {
  let tessera: CallerTessera;
  let legacy: LegacyDatabase;
  let dataDir: string;

  const person = (userId: string) =>
    tessera.as(['read:current_user', 'update:current_user', 'delete:current_user'], {
      kind: 'user',
      subject: userId,
      clientId: 'tessera-account',
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-self-service-'));
    legacy = await createLegacyDatabase();
    tessera = await openCallerTessera({ env: { DATA_DIR: dataDir, ACCOUNT_DELETION: 'true' } });
    await tessera.as(['create:connections']).connections.create({
      name: 'Legacy',
      strategy: 'custom',
      options: { script: LEGACY_SCRIPT, configuration: { database_url: legacy.url }, timeout_ms: 30_000 },
    });
  });
  afterAll(async () => {
    await tessera?.stop();
    await legacy?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('deletes the caller’s own account when ACCOUNT_DELETION is on, as users.delete does: gone, and user.deleted published', async () => {
    const profile = await tessera.services.profiles.createDatabaseUser({
      connection: 'Username-Password',
      email: 'leaving@example.com',
      password: 'a password to leave with',
    });
    expect((await person(profile.user_id).me.settings()).self_deletion).toBe(true);
    const events = await takeEvents(tessera.services.events, { userId: profile.user_id }, 1, async () => {
      expect(await person(profile.user_id).me.delete({})).toEqual({ deleted: true });
    });
    expect(events.map((event) => event.type)).toEqual(['user.deleted']);
    expect(await callErrorOf(tessera.as(['read:users']).users.get({ id: profile.user_id }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await callErrorOf(person(profile.user_id).me.get())).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('checks a custom user’s current password with the login script and hands the new one to its changePassword', async () => {
    const created = await tessera
      .as(['create:users'])
      .users.create({ connection: 'Legacy', email: 'member@legacy.example', password: 'the legacy password' });
    const me = person(created.user_id!).me;
    expect((await me.settings()).password).toEqual({ min_length: 8 });

    const wrong = await callErrorOf(me.changePassword({ current_password: 'not it at all', new_password: 'the newer password' }));
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', field: 'current_password' });
    expect(await legacy.calls('login', 'member@legacy.example')).toBe(1);
    expect(await legacy.calls('changePassword', 'member@legacy.example')).toBe(0);

    expect(await me.changePassword({ current_password: 'the legacy password', new_password: 'the newer password' })).toEqual({
      changed: true,
    });
    expect(await legacy.calls('changePassword', 'member@legacy.example')).toBe(1);
    // The next check of the current password goes to the script, which now knows only the new one.
    expect(
      await callErrorOf(me.changePassword({ current_password: 'the legacy password', new_password: 'yet another password' })),
    ).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await me.changePassword({ current_password: 'the newer password', new_password: 'yet another password' })).toEqual({
      changed: true,
    });
  });

  it('refuses a custom user’s email change with BAD_REQUEST: the legacy database finds them by that address', async () => {
    const created = await tessera
      .as(['create:users'])
      .users.create({ connection: 'Legacy', email: 'stays@legacy.example', password: 'the legacy password' });
    expect(await callErrorOf(person(created.user_id!).me.changeEmail({ email: 'moved@legacy.example' }))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'email',
    });
  });

  it('refuses a machine token on the account calls', async () => {
    expect(
      await callErrorOf(tessera.as(['update:current_user']).me.changePassword({ current_password: 'x', new_password: 'y' })),
    ).toMatchObject({ code: 'FORBIDDEN' });
  });
});
