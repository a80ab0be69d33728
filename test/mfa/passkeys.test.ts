/**
 * The passkey ceremony without a browser (server/mfa/passkeys.ts), answered by a software
 * authenticator: registration through me.passkeys, what me.authenticators and operators see,
 * and every refusal of a sign-in (a used or foreign challenge, another user's passkey for a
 * second factor, an unverified user without a password, a counter that does not grow, a removed
 * passkey), and an issuer that is an IP address, which offers no passkeys. The browser's side is
 * test/server/interactions/passkey-login.test.ts and test/account/passkeys.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { isDomainError } from '../../server/errors.js';
import { isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';
import { discover, openLoginPage } from '../support/relying-party.js';
import { createSoftwareAuthenticator } from '../support/software-authenticator.js';
import { startTestTessera } from '../support/tessera.js';

describe('passkeys', () => {
  let tessera: CallerTessera;
  let dataDir: string;
  let origin: string;
  let people = 0;

  async function person() {
    const admin = tessera.as(['create:users']);
    const email = `passkey-${++people}@example.com`;
    const created = await admin.users.create({ connection: DEFAULT_DATABASE_CONNECTION, email, password: 'correct horse battery' });
    const userId = String(created.user_id);
    const own = tessera.as(['read:current_user', 'update:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    return { userId, own };
  }

  /** A person with one passkey registered through me.passkeys. */
  async function enrolled(options: { synced?: boolean; name?: string } = {}) {
    const { userId, own } = await person();
    const authenticator = createSoftwareAuthenticator({ origin, synced: options.synced ?? false });
    const response = authenticator.register(await own.me.passkeys.registrationOptions());
    const { authenticator: registered, recovery_codes } = await own.me.passkeys.register({
      response,
      ...(options.name ? { name: options.name } : {}),
    });
    return { userId, own, authenticator, registered, recoveryCodes: recovery_codes };
  }

  async function refusal(attempt: Promise<unknown>) {
    const error = await attempt.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isDomainError(error, 'auth.invalid_credentials')).toBe(true);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tessera-passkeys-'));
    const port = await freePort();
    // WebAuthn takes no IP address as relying party id.
    origin = `http://localhost:${port}`;
    tessera = await openCallerTessera({ port, env: { DATA_DIR: dataDir, ISSUER: origin } });
  });
  afterAll(async () => {
    await tessera.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers a passkey under its name, shown to the person and to operators as a webauthn authenticator', async () => {
    const { userId, own, registered } = await enrolled({ name: 'Work laptop' });
    expect(registered).toMatchObject({ type: 'webauthn', name: 'Work laptop', last_used_at: null });
    expect(registered.id).toMatch(/^webauthn_/);
    const passkeysOf = (listed: Array<{ type: string }>) => listed.filter((authenticator) => authenticator.type === 'webauthn');
    expect(passkeysOf(await own.me.authenticators.list())).toEqual([registered]);
    expect(passkeysOf(await tessera.as(['read:users']).users.authenticators.list({ id: userId }))).toEqual([registered]);
  });

  it('answers ten recovery codes, once, with a person’s first passkey, as with a first authenticator app; none with the next', async () => {
    const { own, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await own.me.authenticators.list()).find((authenticator) => authenticator.type === 'recovery-code')).toMatchObject({
      id: 'recovery-code',
      remaining: 10,
    });
    const second = createSoftwareAuthenticator({ origin }).register(await own.me.passkeys.registrationOptions());
    expect(await own.me.passkeys.register({ response: second, name: 'Phone' })).toMatchObject({
      authenticator: { type: 'webauthn', name: 'Phone' },
      recovery_codes: null,
    });
  });

  it('lets a person whose first factor is a passkey in with one of its recovery codes, once', async () => {
    const { userId, recoveryCodes } = await enrolled();
    const [code = ''] = recoveryCodes ?? [];
    expect(await tessera.services.recoveryCodes.verify(userId, code)).toBe(true);
    expect(await tessera.services.recoveryCodes.verify(userId, code)).toBe(false);
  });

  it('asks for a discoverable credential with the user verified, the issuer as relying party, and none of the person’s passkeys again', async () => {
    const { own, authenticator } = await enrolled();
    const options = await own.me.passkeys.registrationOptions();
    expect(options.rp.id).toBe('localhost');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.excludeCredentials?.map((credential) => credential.id)).toEqual([authenticator.credentialId]);
  });

  it('refuses a registration answering a prompt already answered, from another origin, or without the user verified', async () => {
    const { own } = await person();
    const authenticator = createSoftwareAuthenticator({ origin });
    const response = authenticator.register(await own.me.passkeys.registrationOptions());
    await own.me.passkeys.register({ response });
    expect(await callErrorOf(own.me.passkeys.register({ response }))).toMatchObject({ code: 'BAD_REQUEST', field: 'response' });

    const foreign = createSoftwareAuthenticator({ origin: 'http://localhost:1' });
    const fromElsewhere = foreign.register(await own.me.passkeys.registrationOptions());
    expect(await callErrorOf(own.me.passkeys.register({ response: fromElsewhere }))).toMatchObject({ code: 'BAD_REQUEST' });

    const unverified = createSoftwareAuthenticator({ origin }).register(await own.me.passkeys.registrationOptions(), {
      userVerified: false,
    });
    expect(await callErrorOf(own.me.passkeys.register({ response: unverified }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await own.me.authenticators.list()).filter((authenticator) => authenticator.type === 'webauthn')).toHaveLength(1);
  });

  it('refuses a passkey registered already to someone', async () => {
    const { own, authenticator } = await enrolled();
    const again = authenticator.register(await own.me.passkeys.registrationOptions());
    expect(await callErrorOf(own.me.passkeys.register({ response: again }))).toMatchObject({ code: 'CONFLICT' });
  });

  it('signs in without a password: the passkey’s user, hwk for a device-bound passkey and swk for a synced one', async () => {
    const { passkeys } = tessera.services;
    const bound = await enrolled();
    const options = await passkeys.authenticationOptions('interaction-a');
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(await passkeys.authenticate('interaction-a', bound.authenticator.assert(options, 1))).toMatchObject({
      userId: bound.userId,
      authenticatorId: bound.registered.id,
      method: 'hwk',
      userVerified: true,
    });
    const [used] = await bound.own.me.authenticators.list();
    expect(used?.last_used_at).not.toBeNull();

    const synced = await enrolled({ synced: true });
    const syncedOptions = await passkeys.authenticationOptions('interaction-b');
    expect(await passkeys.authenticate('interaction-b', synced.authenticator.assert(syncedOptions, 0))).toMatchObject({
      userId: synced.userId,
      method: 'swk',
    });
  });

  it('judges an answer once, only for the prompt it answers', async () => {
    const { passkeys } = tessera.services;
    const { authenticator } = await enrolled();
    const options = await passkeys.authenticationOptions('interaction-c');
    const assertion = authenticator.assert(options, 1);
    await refusal(passkeys.authenticate('interaction-other', assertion));
    await passkeys.authenticate('interaction-c', assertion);
    await refusal(passkeys.authenticate('interaction-c', authenticator.assert(options, 2)));
  });

  it('keeps one prompt per login: a newer one replaces the older, whose answer is refused', async () => {
    const { passkeys } = tessera.services;
    const { authenticator } = await enrolled();
    await passkeys.authenticationOptions('interaction-i');
    const newer = await passkeys.authenticationOptions('interaction-i');
    await passkeys.authenticate('interaction-i', authenticator.assert(newer, 1));

    const older = await passkeys.authenticationOptions('interaction-i');
    await passkeys.authenticationOptions('interaction-i');
    await refusal(passkeys.authenticate('interaction-i', authenticator.assert(older, 2)));
  });

  it('refuses a counter that does not grow, as a cloned authenticator’s', async () => {
    const { passkeys } = tessera.services;
    const { authenticator } = await enrolled();
    await passkeys.authenticate('interaction-d', authenticator.assert(await passkeys.authenticationOptions('interaction-d'), 5));
    await refusal(passkeys.authenticate('interaction-d', authenticator.assert(await passkeys.authenticationOptions('interaction-d'), 5)));
    await refusal(passkeys.authenticate('interaction-d', authenticator.assert(await passkeys.authenticationOptions('interaction-d'), 3)));
    await passkeys.authenticate('interaction-d', authenticator.assert(await passkeys.authenticationOptions('interaction-d'), 6));
  });

  it('requires the user verified without a password, but not for a second factor, which only the user’s own passkeys answer', async () => {
    const { passkeys } = tessera.services;
    const ann = await enrolled();
    const bob = await enrolled();
    await refusal(
      passkeys.authenticate(
        'interaction-e',
        ann.authenticator.assert(await passkeys.authenticationOptions('interaction-e'), 1, { userVerified: false }),
      ),
    );

    const secondFactor = await passkeys.authenticationOptions('interaction-f', { userId: ann.userId });
    expect(secondFactor.userVerification).toBe('preferred');
    expect(secondFactor.allowCredentials?.map((credential) => credential.id)).toEqual([ann.authenticator.credentialId]);
    await refusal(passkeys.authenticate('interaction-f', bob.authenticator.assert(secondFactor, 1)));
    const again = await passkeys.authenticationOptions('interaction-f', { userId: ann.userId });
    expect(await passkeys.authenticate('interaction-f', ann.authenticator.assert(again, 2, { userVerified: false }))).toMatchObject({
      userId: ann.userId,
      userVerified: false,
    });
  });

  it('refuses a passkey once removed by its person or reset by an operator', async () => {
    const { passkeys } = tessera.services;
    const removed = await enrolled();
    await removed.own.me.authenticators.delete({ authenticator_id: removed.registered.id });
    expect((await removed.own.me.authenticators.list()).map((authenticator) => authenticator.type)).toEqual(['recovery-code']);
    await refusal(
      passkeys.authenticate('interaction-g', removed.authenticator.assert(await passkeys.authenticationOptions('interaction-g'), 1)),
    );

    const reset = await enrolled();
    await tessera.as(['update:users']).users.resetMfa({ id: reset.userId });
    expect(await tessera.as(['read:users']).users.authenticators.list({ id: reset.userId })).toEqual([]);
    await refusal(
      passkeys.authenticate('interaction-h', reset.authenticator.assert(await passkeys.authenticationOptions('interaction-h'), 1)),
    );
  });

  it('tells the account page in me.settings that passkeys can be added under a host name', async () => {
    const { own } = await person();
    expect((await own.me.settings()).passkeys).toBe(true);
  });

  it('needs update:current_user to register', async () => {
    const { userId } = await person();
    const reader = tessera.as(['read:current_user'], { kind: 'user', subject: userId, clientId: 'tessera-account' });
    expect(await callErrorOf(reader.me.passkeys.registrationOptions())).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('passkeys under an issuer that is an IP address', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;

  beforeAll(async () => {
    tessera = await startTestTessera();
  });
  afterAll(async () => {
    await tessera?.stop();
  });

  it('offers none: no passkey on the login page (which keeps its policy without scripts), and registration refused saying why', async () => {
    expect(new URL(tessera.issuer).hostname).toBe('127.0.0.1');
    const client = await createClient(tessera);
    const { page } = await openLoginPage(await discover(tessera.issuer, client.client_id, client.client_secret), 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    expect(page.document.querySelector('#passkey-form')).toBeNull();
    expect(page.document.querySelectorAll('script')).toHaveLength(0);
    expect(page.headers?.get('content-security-policy')).not.toContain('script-src');
    const person = await tessera.services.profiles.createDatabaseUser({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'ip@example.com',
      password: 'correct horse battery',
    });
    const refusal = await tessera.services.management.passkeys.registrationOptions(person.user_id).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'passkey.refused', message: expect.stringContaining('not an IP address') });
    expect((await tessera.services.management.selfService.settings(person.user_id)).passkeys).toBe(false);
  });
});
