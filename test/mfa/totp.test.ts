/**
 * Authenticator apps (TOTP) through me.authenticators.enrollTotp / confirmTotp, with codes
 * computed from the enrolled secret as an app would: confirmation by one code, ±1 step, a code
 * used once (even by two requests at the same time), the secret sealed at rest and re-sealed
 * when SEALING_KEY rotates.
 */
import { Secret, TOTP, URI } from 'otpauth';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { createTestDatabase } from '../support/databases.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';
import { TEST_SEALING_KEY } from '../support/tessera.js';

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

describe('authenticator apps', () => {
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
    const email = `totp-${counter}@example.com`;
    const created = await tessera
      .as(['create:users'])
      .users.create({ connection: DEFAULT_DATABASE_CONNECTION, email, password: 'correct horse battery' });
    const userId = String(created.user_id);
    const own = tessera.as(['read:current_user', 'update:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    return { userId, email, own };
  }

  async function enrolled() {
    const user = await newUser();
    const enrolment = await user.own.me.authenticators.enrollTotp();
    await user.own.me.authenticators.confirmTotp({ authenticator_id: enrolment.authenticator_id, code: codeAt(enrolment.secret) });
    return { ...user, secret: enrolment.secret };
  }

  it('shows the secret as text, as an otpauth URI naming the issuer and the user, and as an SVG QR code', async () => {
    const { own, email } = await newUser();
    const enrolment = await own.me.authenticators.enrollTotp({ name: 'My phone' });
    expect(enrolment.authenticator_id).toMatch(/^totp_/);
    const parsed = URI.parse(enrolment.otpauth_uri) as TOTP;
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed.secret.base32).toBe(enrolment.secret);
    expect(parsed.issuer).toBe('127.0.0.1');
    expect(parsed.label).toBe(email);
    expect(parsed).toMatchObject({ digits: 6, period: 30, algorithm: 'SHA1' });
    expect(enrolment.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('lists the app only once a code it made confirms it, under the name given', async () => {
    const { own } = await newUser();
    const enrolment = await own.me.authenticators.enrollTotp({ name: 'My phone' });
    expect(await own.me.authenticators.list()).toEqual([]);
    const wrong = codeAt(enrolment.secret) === '000000' ? '111111' : '000000';
    expect(
      await callErrorOf(own.me.authenticators.confirmTotp({ authenticator_id: enrolment.authenticator_id, code: wrong })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'code',
    });
    expect(await own.me.authenticators.list()).toEqual([]);
    const { authenticator } = await own.me.authenticators.confirmTotp({
      authenticator_id: enrolment.authenticator_id,
      code: codeAt(enrolment.secret),
    });
    expect(authenticator).toMatchObject({ id: enrolment.authenticator_id, type: 'totp', name: 'My phone' });
    expect(authenticator.last_used_at).not.toBeNull();
    expect((await own.me.authenticators.list()).filter((listed) => listed.type === 'totp')).toEqual([authenticator]);
  });

  it('needs update:current_user to enrol, confirm and make recovery codes', async () => {
    const { userId } = await newUser();
    const reader = tessera.as(['read:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    expect(await callErrorOf(reader.me.authenticators.enrollTotp())).toMatchObject({ code: 'FORBIDDEN' });
    expect(await callErrorOf(reader.me.authenticators.confirmTotp({ authenticator_id: 'totp_x', code: '123456' }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await callErrorOf(reader.me.authenticators.regenerateRecoveryCodes())).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses to confirm another user’s enrolment', async () => {
    const ann = await newUser();
    const bob = await newUser();
    const enrolment = await ann.own.me.authenticators.enrollTotp();
    expect(
      await callErrorOf(
        bob.own.me.authenticators.confirmTotp({ authenticator_id: enrolment.authenticator_id, code: codeAt(enrolment.secret) }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND', field: 'authenticator_id' });
  });

  it('accepts a code once: the same code again is refused, even by two requests sent together', async () => {
    const { userId, secret } = await enrolled();
    const next = codeAt(secret, 30);
    const outcomes = await Promise.all([tessera.services.totp.verify(userId, next), tessera.services.totp.verify(userId, next)]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await tessera.services.totp.verify(userId, next)).toBe(false);
  });

  it('accepts a code one step early or late, refuses one two steps away, and refuses an earlier step once a later one was used', async () => {
    const { userId, secret } = await enrolled();
    expect(await tessera.services.totp.verify(userId, codeAt(secret, 70))).toBe(false);
    expect(await tessera.services.totp.verify(userId, codeAt(secret, -70))).toBe(false);
    expect(await tessera.services.totp.verify(userId, codeAt(secret, 30))).toBe(true);
    expect(await tessera.services.totp.verify(userId, codeAt(secret, -30))).toBe(false);
  });

  it('forgets an enrolment left unconfirmed for a day, and keeps a newer one', async () => {
    const { own } = await newUser();
    const old = await own.me.authenticators.enrollTotp();
    await tessera.database.sequelize.query(`UPDATE totp_authenticators SET created_at = now() - interval '25 hours' WHERE id = $1`, {
      bind: [old.authenticator_id],
    });
    await tessera.services.totp.sweep();
    expect(
      await callErrorOf(own.me.authenticators.confirmTotp({ authenticator_id: old.authenticator_id, code: codeAt(old.secret) })),
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
    const fresh = await own.me.authenticators.enrollTotp();
    await tessera.services.totp.sweep();
    await own.me.authenticators.confirmTotp({ authenticator_id: fresh.authenticator_id, code: codeAt(fresh.secret) });
    expect((await own.me.authenticators.list()).some((factor) => factor.id === fresh.authenticator_id)).toBe(true);
  });

  it('keeps the secret sealed in the database', async () => {
    const { userId, secret } = await enrolled();
    const rows = await tessera.database.sequelize.query<{ secret: string }>(`SELECT secret FROM totp_authenticators WHERE user_id = $1`, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret).toMatch(/^enc:v1:/);
    expect(rows[0]?.secret).not.toContain(secret);
  });

  it('forgets the app when the person removes it, and when an operator resets the user’s factors', async () => {
    const first = await enrolled();
    const app = (await first.own.me.authenticators.list()).find((listed) => listed.type === 'totp');
    await first.own.me.authenticators.delete({ authenticator_id: String(app?.id) });
    expect((await first.own.me.authenticators.list()).map((listed) => listed.type)).toEqual(['recovery-code']);
    expect(await tessera.services.totp.verify(first.userId, codeAt(first.secret, 30))).toBe(false);

    const second = await enrolled();
    await tessera.as(['update:users']).users.resetMfa({ id: second.userId });
    expect(await tessera.as(['read:users']).users.authenticators.list({ id: second.userId })).toEqual([]);
  });
});

describe('authenticator apps across a SEALING_KEY rotation', () => {
  it('still accepts the app’s codes after the key is rotated', async () => {
    const newKey = Buffer.alloc(32, 9).toString('base64');
    const databaseUrl = await createTestDatabase();
    const before = await openCallerTessera({ databaseUrl });
    const created = await before
      .as(['create:users'])
      .users.create({ connection: DEFAULT_DATABASE_CONNECTION, email: 'rotate@example.com', password: 'correct horse battery' });
    const userId = String(created.user_id);
    const own = before.as(['update:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    const enrolment = await own.me.authenticators.enrollTotp();
    await own.me.authenticators.confirmTotp({ authenticator_id: enrolment.authenticator_id, code: codeAt(enrolment.secret) });
    await before.stop();

    const after = await openCallerTessera({ databaseUrl, env: { SEALING_KEY: newKey, SEALING_KEY_PREVIOUS: TEST_SEALING_KEY } });
    try {
      expect(await after.services.totp.verify(userId, codeAt(enrolment.secret, 30))).toBe(true);
    } finally {
      await after.stop();
    }
  });
});
