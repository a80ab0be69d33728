/**
 * Recovery codes: ten made with the first factor and shown once, stored as digests, each used
 * once (even by two requests at the same time), listed as one authenticator counting what is
 * left, made anew by me.authenticators.regenerateRecoveryCodes.
 */
import { Secret, TOTP } from 'otpauth';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

describe('recovery codes', () => {
  let tessera: CallerTessera;
  let counter = 0;

  beforeAll(async () => {
    tessera = await openCallerTessera();
  });
  afterAll(async () => {
    await tessera.stop();
  });

  async function newUser() {
    counter += 1;
    const created = await tessera.as(['create:users']).users.create({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: `recovery-${counter}@example.com`,
      password: 'correct horse battery',
    });
    const userId = String(created.user_id);
    const own = tessera.as(['read:current_user', 'update:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    const addApp = async (offsetSeconds = 0) => {
      const enrolment = await own.me.authenticators.enrollTotp();
      return own.me.authenticators.confirmTotp({
        authenticator_id: enrolment.authenticator_id,
        code: codeAt(enrolment.secret, offsetSeconds),
      });
    };
    return { userId, own, addApp };
  }

  it('gives ten distinct codes of 80 bits with the first factor only', async () => {
    const { addApp } = await newUser();
    const first = await addApp();
    expect(first.recovery_codes).toHaveLength(10);
    expect(new Set(first.recovery_codes).size).toBe(10);
    for (const code of first.recovery_codes ?? []) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect((await addApp()).recovery_codes).toBeNull();
  });

  it('stores only digests of the codes', async () => {
    const { userId, addApp } = await newUser();
    const { recovery_codes: codes } = await addApp();
    const rows = await tessera.database.sequelize.query<{ code_hash: string }>(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    expect(rows).toHaveLength(10);
    const stored = rows.map((row) => row.code_hash).join(' ');
    for (const code of codes ?? []) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replaceAll('-', ''));
    }
  });

  it('accepts each code once, typed in any case and without dashes, and counts what is left', async () => {
    const { userId, own, addApp } = await newUser();
    const [code, other] = (await addApp()).recovery_codes ?? [];
    expect(await own.me.authenticators.list()).toContainEqual(
      expect.objectContaining({
        id: 'recovery-code',
        type: 'recovery-code',
        name: 'Recovery codes, 10 left',
        remaining: 10,
        last_used_at: null,
      }),
    );
    expect(await tessera.services.recoveryCodes.verify(userId, String(code).toUpperCase().replaceAll('-', ' '))).toBe(true);
    expect(await tessera.services.recoveryCodes.verify(userId, String(code))).toBe(false);
    const outcomes = await Promise.all([
      tessera.services.recoveryCodes.verify(userId, String(other)),
      tessera.services.recoveryCodes.verify(userId, String(other)),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const listed = (await own.me.authenticators.list()).find((authenticator) => authenticator.type === 'recovery-code');
    expect(listed).toMatchObject({ name: 'Recovery codes, 8 left', remaining: 8 });
    expect(listed?.last_used_at).not.toBeNull();
  });

  it('refuses another user’s code', async () => {
    const ann = await newUser();
    const bob = await newUser();
    const [code] = (await ann.addApp()).recovery_codes ?? [];
    await bob.addApp();
    expect(await tessera.services.recoveryCodes.verify(bob.userId, String(code))).toBe(false);
    expect(await tessera.services.recoveryCodes.verify(ann.userId, String(code))).toBe(true);
  });

  it('makes ten new codes on request, after which the old ones no longer work', async () => {
    const { userId, own, addApp } = await newUser();
    const [old] = (await addApp()).recovery_codes ?? [];
    const { recovery_codes: fresh } = await own.me.authenticators.regenerateRecoveryCodes();
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(old);
    expect(await tessera.services.recoveryCodes.verify(userId, String(old))).toBe(false);
    expect(await tessera.services.recoveryCodes.verify(userId, String(fresh[0]))).toBe(true);
  });

  it('refuses to make codes for a user without a second factor', async () => {
    const { own } = await newUser();
    expect(await callErrorOf(own.me.authenticators.regenerateRecoveryCodes())).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await own.me.authenticators.list()).toEqual([]);
  });

  it('replaces the codes left from removed factors when a first factor is added again', async () => {
    const { userId, own, addApp } = await newUser();
    const [old] = (await addApp()).recovery_codes ?? [];
    const app = (await own.me.authenticators.list()).find((authenticator) => authenticator.type === 'totp');
    await own.me.authenticators.delete({ authenticator_id: String(app?.id) });
    const again = await addApp(30);
    expect(again.recovery_codes).toHaveLength(10);
    expect(await tessera.services.recoveryCodes.verify(userId, String(old))).toBe(false);
  });

  it('removes every code when the person removes the recovery codes', async () => {
    const { userId, own, addApp } = await newUser();
    const [code] = (await addApp()).recovery_codes ?? [];
    await own.me.authenticators.delete({ authenticator_id: 'recovery-code' });
    expect((await own.me.authenticators.list()).map((authenticator) => authenticator.type)).toEqual(['totp']);
    expect(await tessera.services.recoveryCodes.verify(userId, String(code))).toBe(false);
  });
});
