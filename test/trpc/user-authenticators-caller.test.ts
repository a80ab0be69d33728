/**
 * users.authenticators.*, users.resetMfa and me.authenticators.*: the scopes they need, the
 * answers for an unknown user or factor, and the takeover guard. What each kind of factor adds
 * is tested beside that kind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

describe('authenticator procedures', () => {
  let tessera: CallerTessera;
  let dataDir: string;
  let ann: { user_id: string };
  let operator: { user_id: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-authenticators-'));
    tessera = await openCallerTessera({ env: { DATA_DIR: dataDir } });
    const admin = tessera.as(['create:users', 'read:users', 'update:users', 'delete:users']);
    const create = (email: string, management_scopes?: ['delete:users']) =>
      admin.users.create({ connection: DEFAULT_DATABASE_CONNECTION, email, password: 'correct horse battery', management_scopes });
    ann = { user_id: String((await create('ann@example.com')).user_id) };
    operator = { user_id: String((await create('operator@example.com', ['delete:users'])).user_id) };
  });
  afterAll(async () => {
    await tessera.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists no factors for a user who enrolled none, to the operator and to the person', async () => {
    expect(await tessera.as(['read:users']).users.authenticators.list({ id: ann.user_id })).toEqual([]);
    expect(
      await tessera.as(['read:current_user'], { kind: 'user', subject: ann.user_id, clientId: 'tessera-account' }).me.authenticators.list(),
    ).toEqual([]);
  });

  it('answers NOT_FOUND for a user that does not exist and for a factor the user does not hold', async () => {
    const operatorCalls = tessera.as(['read:users', 'update:users']);
    expect(await callErrorOf(operatorCalls.users.authenticators.list({ id: 'auth0|nobody-here' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await callErrorOf(operatorCalls.users.resetMfa({ id: 'auth0|nobody-here' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      await callErrorOf(operatorCalls.users.authenticators.delete({ id: ann.user_id, authenticator_id: 'totp_not-hers' })),
    ).toMatchObject({ code: 'NOT_FOUND', field: 'authenticator_id' });
    const own = tessera.as(['update:current_user'], { kind: 'user', subject: ann.user_id, clientId: 'tessera-account' });
    expect(await callErrorOf(own.me.authenticators.delete({ authenticator_id: 'totp_not-hers' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('needs read:users to list and update:users to remove', async () => {
    expect(await callErrorOf(tessera.allBut('read:users').users.authenticators.list({ id: ann.user_id }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await callErrorOf(tessera.allBut('update:users').users.resetMfa({ id: ann.user_id }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      await callErrorOf(tessera.allBut('update:users').users.authenticators.delete({ id: ann.user_id, authenticator_id: 'x' })),
    ).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses to reset the factors of a user holding scopes the caller lacks, and allows it to one who holds them', async () => {
    expect(await callErrorOf(tessera.as(['update:users']).users.resetMfa({ id: operator.user_id }))).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('delete:users'),
    });
    await expect(tessera.as(['update:users', 'delete:users']).users.resetMfa({ id: operator.user_id })).resolves.toBeUndefined();
  });
});
