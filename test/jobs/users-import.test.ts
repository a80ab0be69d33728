/**
 * jobs.importUsers through createCaller: Auth0's bulk-import file (and NDJSON) into a database
 * connection, refused lines in the job's errors, upsert, re-runs, and what subscribers hear.
 */
import { hashSync } from '@node-rs/bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserEvent } from '../../server/events/event-bus.js';
import type { JobView } from '../../server/jobs/jobs.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

const BCRYPT = hashSync('old auth0 password', 4);

describe('users import (jobs.importUsers)', () => {
  let tessera: CallerTessera;
  let admin: Caller;
  let connectionId: string;

  beforeAll(async () => {
    tessera = await openCallerTessera();
    admin = tessera.as(MANAGEMENT_SCOPES);
    const connection = await tessera.services.connections.findByName('Username-Password');
    if (!connection) throw new Error('no default connection');
    connectionId = connection.id;
  });
  afterAll(() => tessera?.stop());

  /** Starts the import, waits for this node to finish it, and reads the job as any node would. */
  async function importFile(users: string, options: { upsert?: boolean; caller?: Caller; connection?: string } = {}) {
    const started = await (options.caller ?? admin).jobs.importUsers({
      connection_id: options.connection ?? connectionId,
      users,
      ...(options.upsert === undefined ? {} : { upsert: options.upsert }),
    });
    await tessera.services.management.usersImport.settled();
    const job = await admin.jobs.get({ id: started.id });
    const errors = await admin.jobs.errors({ id: started.id });
    return { started, job, errors };
  }

  const json = (users: unknown[]) => JSON.stringify(users);
  const storedHashOf = async (userId: string) =>
    (await tessera.services.users.findById(userId))?.identities.find((identity) => identity.provider === 'database')?.password_hash;

  it('answers a pending users_import job with its options, then imports the good lines and keeps the refused ones in its errors', async () => {
    const file = json([
      { email: 'Good.One@example.com', email_verified: true, given_name: 'Good', user_metadata: { plan: 'gold' }, password_hash: BCRYPT },
      { email_verified: true },
      { email: 'two@example.com', blocked: 'yes' },
      { email: 'three@example.com', favourite_colour: 'blue' },
      'not a user',
      { email: 'not an address', password_hash: BCRYPT },
      { email: 'good.two@example.com', user_id: 'auth0|5f1a2b', app_metadata: { roles: ['admin'] }, picture: 'https://example.com/a.png' },
    ]);
    const { started, job, errors } = await importFile(file);

    expect(started).toMatchObject({ type: 'users_import', status: 'pending', connection_id: connectionId, upsert: false });
    expect(started.id).toMatch(/^job_/);
    expect(job).toMatchObject({ status: 'completed', percentage_done: 100, summary: { inserted: 2, updated: 0, failed: 5, total: 7 } });
    expect(errors).toEqual([
      {
        user: { email_verified: true },
        errors: [{ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'Missing required property: email', path: 'email' }],
      },
      {
        user: { email: 'two@example.com', blocked: 'yes' },
        errors: [{ code: 'INVALID_TYPE', message: 'Expected type boolean but found type string', path: 'blocked' }],
      },
      {
        user: { email: 'three@example.com', favourite_colour: 'blue' },
        errors: [{ code: 'OBJECT_ADDITIONAL_PROPERTIES', message: 'Additional properties not allowed: favourite_colour', path: '' }],
      },
      { user: {}, errors: [{ code: 'INVALID_TYPE', message: 'Expected type object but found type string', path: '' }] },
      // The hash a refused line carried is not kept in its error.
      { user: { email: 'not an address' }, errors: [expect.objectContaining({ code: 'INVALID_FORMAT', path: 'email' })] },
    ]);

    const [first] = await admin.users.getByEmail({ email: 'good.one@example.com' });
    expect(first).toMatchObject({
      email: 'good.one@example.com',
      email_verified: true,
      given_name: 'Good',
      user_metadata: { plan: 'gold' },
    });
    expect(await storedHashOf(String(first?.user_id))).toBe(BCRYPT);
    const second = await admin.users.get({ id: 'database|5f1a2b' });
    expect(second).toMatchObject({ email: 'good.two@example.com', name: 'good.two@example.com', app_metadata: { roles: ['admin'] } });
    expect(second.identities).toEqual([
      expect.objectContaining({ provider: 'database', user_id: '5f1a2b', connection: 'Username-Password' }),
    ]);
  });

  it('refuses an existing user as DUPLICATED_USER without upsert, leaving them unchanged', async () => {
    const existing = await admin.users.create({ connection: 'Username-Password', email: 'kept@example.com', password: 'a long password' });
    const { job, errors } = await importFile(json([{ email: 'KEPT@example.com', name: 'Renamed', password_hash: BCRYPT }]));
    expect(job.summary).toEqual({ inserted: 0, updated: 0, failed: 1, total: 1 });
    expect(errors).toEqual([
      { user: { email: 'KEPT@example.com', name: 'Renamed' }, errors: [expect.objectContaining({ code: 'DUPLICATED_USER' })] },
    ]);
    expect(await admin.users.get({ id: String(existing.user_id) })).toMatchObject({ name: 'kept@example.com' });
    expect(await storedHashOf(String(existing.user_id))).toMatch(/^\$argon2id\$/);
  });

  it('updates an existing user with upsert: the given fields and hash, metadata replaced, email and id kept', async () => {
    const existing = await admin.users.create({
      connection: 'Username-Password',
      email: 'upserted@example.com',
      password: 'a long password',
      user_metadata: { old: 1 },
      family_name: 'Stays',
    });
    const { job } = await importFile(
      json([{ email: 'upserted@example.com', name: 'New Name', user_metadata: { plan: 'silver' }, password_hash: BCRYPT }]),
      { upsert: true },
    );
    expect(job.summary).toEqual({ inserted: 0, updated: 1, failed: 0, total: 1 });
    expect(await admin.users.get({ id: String(existing.user_id) })).toMatchObject({
      email: 'upserted@example.com',
      name: 'New Name',
      family_name: 'Stays',
      user_metadata: { plan: 'silver' },
    });
    expect(await storedHashOf(String(existing.user_id))).toBe(BCRYPT);
  });

  it('ends up in the same state when the same file runs again, with or without upsert', async () => {
    const file = json(
      Array.from({ length: 30 }, (_, index) => ({
        email: `again${index}@example.com`,
        ...(index % 2 === 0 ? { user_id: `again-${index}` } : {}),
        nickname: `n${index}`,
        app_metadata: { index },
        password_hash: BCRYPT,
      })),
    );
    const snapshot = async () =>
      (await admin.users.list({ q: 'email:again*', per_page: 100, sort: 'email:1' })).users.map(
        ({ updated_at: _updated, ...user }) => user,
      );
    const first = await importFile(file);
    expect(first.job.summary).toEqual({ inserted: 30, updated: 0, failed: 0, total: 30 });
    const before = await snapshot();
    expect(before).toHaveLength(30);

    const rerun = await importFile(file, { upsert: true });
    expect(rerun.job.summary).toEqual({ inserted: 0, updated: 30, failed: 0, total: 30 });
    expect(await snapshot()).toEqual(before);

    const without = await importFile(file);
    expect(without.job.summary).toEqual({ inserted: 0, updated: 0, failed: 30, total: 30 });
    expect(new Set(without.errors.flatMap(({ errors }) => (errors as Array<{ code: string }>).map(({ code }) => code)))).toEqual(
      new Set(['DUPLICATED_USER']),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('reads NDJSON, including the shape of Auth0 support’s password-hash export', async () => {
    const lines = [
      JSON.stringify({
        _id: { $oid: '60f7a1b2c3d4e5f6a7b8c9d0' },
        email_verified: true,
        email: 'support@example.com',
        passwordHash: BCRYPT,
        password_set_date: { $date: '2021-07-21T10:00:00.000Z' },
        tenant: 'acme',
        connection: 'Username-Password-Authentication',
        _tmp_is_unique: true,
      }),
      '',
      '{"email": "broken@example.com",',
      JSON.stringify({ email: 'exported@example.com', user_id: 'auth0|abc123', created_at: '2020-01-01T00:00:00.000Z', logins_count: 4 }),
    ].join('\n');
    const { job, errors } = await importFile(lines);
    expect(job.summary).toEqual({ inserted: 2, updated: 0, failed: 1, total: 3 });
    expect(errors).toEqual([{ user: {}, errors: [{ code: 'INVALID_JSON', message: 'The entry is not valid JSON', path: '' }] }]);
    expect(await admin.users.get({ id: 'database|60f7a1b2c3d4e5f6a7b8c9d0' })).toMatchObject({
      email: 'support@example.com',
      email_verified: true,
    });
    expect(await storedHashOf('database|60f7a1b2c3d4e5f6a7b8c9d0')).toBe(BCRYPT);
    expect(await admin.users.get({ id: 'database|abc123' })).toMatchObject({ email: 'exported@example.com' });
  });

  it('fails the job, writing nobody, when a JSON array does not close', async () => {
    const { job } = await importFile('[{"email": "unclosed@example.com"}, {"email": "x@example.com"');
    expect(job).toMatchObject({ status: 'failed', failure: expect.stringMatching(/ends inside the array/) });
    expect(await admin.users.getByEmail({ email: 'unclosed@example.com' })).toEqual([]);
  });

  it('refuses an unknown connection and a connection that is not a database one before any job exists', async () => {
    expect(await callErrorOf(admin.jobs.importUsers({ connection_id: 'con_nothere', users: '[]' }))).toMatchObject({
      code: 'NOT_FOUND',
      field: 'connection_id',
    });
    const oidc = await admin.connections.create({
      name: 'Import-oidc',
      strategy: 'oidc',
      options: { issuer: 'https://idp.example.com', client_id: 'tessera', client_secret: 'oidc-secret-0123456789' },
    });
    expect(await callErrorOf(admin.jobs.importUsers({ connection_id: oidc.id, users: '[]' }))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'connection_id',
    });
  });

  it('needs create:users', async () => {
    expect(await callErrorOf(tessera.allBut('create:users').jobs.importUsers({ connection_id: connectionId, users: '[]' }))).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('does not update a user holding management scopes the caller does not hold', async () => {
    const operator = await admin.users.create({
      connection: 'Username-Password',
      email: 'operator@example.com',
      password: 'a long password',
      management_scopes: ['delete:users'],
    });
    const narrow = tessera.as(['create:users', 'read:users', 'update:users']);
    const { job, errors } = await importFile(json([{ email: 'operator@example.com', password_hash: BCRYPT }]), {
      upsert: true,
      caller: narrow,
    });
    expect(job.summary).toMatchObject({ updated: 0, failed: 1 });
    expect(errors).toEqual([expect.objectContaining({ errors: [expect.objectContaining({ code: 'INSUFFICIENT_SCOPE' })] })]);
    expect(await storedHashOf(String(operator.user_id))).toMatch(/^\$argon2id\$/);
  });

  it('publishes user.created for new users and user.updated for updated ones, so caches and subscribers are not stale', async () => {
    await importFile(json([{ email: 'cached@example.com', name: 'Before' }]));
    const [cached] = await admin.users.getByEmail({ email: 'cached@example.com' });
    const userId = String(cached?.user_id);
    // Read through the profile cache, so the cache holds the user before the import changes them.
    expect(await admin.users.get({ id: userId })).toMatchObject({ name: 'Before' });

    const events: UserEvent[] = [];
    const controller = new AbortController();
    const listening = (async () => {
      for await (const event of tessera.services.events.subscribe({ signal: controller.signal })) events.push(event);
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await importFile(
      json([
        { email: 'cached@example.com', name: 'After' },
        { email: 'fresh@example.com', user_id: 'fresh-1' },
      ]),
      { upsert: true },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await listening;

    expect(events.map(({ type, user_id }) => [type, user_id])).toEqual(
      expect.arrayContaining([
        ['user.updated', userId],
        ['user.created', 'database|fresh-1'],
      ]),
    );
    expect(await admin.users.get({ id: userId })).toMatchObject({ name: 'After' });
  });

  it('blocks a user the file blocks, ending their sessions as users.update does', async () => {
    await importFile(json([{ email: 'to-block@example.com', user_id: 'to-block' }]));
    const { job } = await importFile(json([{ email: 'to-block@example.com', user_id: 'to-block', blocked: true }]), { upsert: true });
    expect(job.summary).toMatchObject({ updated: 1 });
    expect(await admin.users.get({ id: 'database|to-block' })).toMatchObject({ blocked: true });
  });

  it('writes a later line about the same user after the earlier one, within one file', async () => {
    const { job, errors } = await importFile(
      json([
        { email: 'twice@example.com', name: 'First' },
        { email: 'twice@example.com', name: 'Second' },
      ]),
      { upsert: true },
    );
    expect(errors).toEqual([]);
    expect(job.summary).toEqual({ inserted: 1, updated: 1, failed: 0, total: 2 });
    const [twice] = await admin.users.getByEmail({ email: 'twice@example.com' });
    expect(twice).toMatchObject({ name: 'Second' });
  });

  it('refuses a custom_password_hash no login could check, naming what is wrong', async () => {
    const { errors } = await importFile(
      json([{ email: 'badhash@example.com', custom_password_hash: { algorithm: 'sha256', hash: { value: 'zz', encoding: 'hex' } } }]),
    );
    expect(errors).toEqual([
      {
        user: { email: 'badhash@example.com' },
        errors: [expect.objectContaining({ code: 'INVALID_FORMAT', path: 'custom_password_hash' })],
      },
    ]);
  });

  it('refuses a line PostgreSQL could not store (U+0000 in a string) and imports the rest of its batch', async () => {
    const { job, errors } = await importFile(
      `[{"email": "nul@example.com", "name": "a\\u0000b"}, {"email": "after-nul@example.com", "user_metadata": {"k": "v"}}]`,
    );
    expect(job.summary).toEqual({ inserted: 1, updated: 0, failed: 1, total: 2 });
    expect(errors).toEqual([{ user: {}, errors: [expect.objectContaining({ code: 'INVALID_FORMAT' })] }]);
    expect(await admin.users.getByEmail({ email: 'after-nul@example.com' })).toHaveLength(1);
  });

  it('refuses a user without a username when the connection requires one, as users.create does', async () => {
    const strict = await admin.connections.create({ name: 'Import-usernames', strategy: 'database', options: { requires_username: true } });
    const { job, errors } = await importFile(json([{ email: 'nameless@example.com' }, { email: 'named@example.com', username: 'named' }]), {
      connection: strict.id,
    });
    expect(job.summary).toEqual({ inserted: 1, updated: 0, failed: 1, total: 2 });
    expect(errors).toEqual([
      {
        user: { email: 'nameless@example.com' },
        errors: [{ code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: 'Missing required property: username', path: 'username' }],
      },
    ]);
  });

  it('marks failed an import no node has touched for a while, as after its node stopped', async () => {
    const { started } = await importFile('[]');
    await tessera.database.sequelize.query(`UPDATE jobs SET status = 'processing', updated_at = now() - interval '1 hour' WHERE id = $1`, {
      bind: [started.id],
    });
    expect(await tessera.services.management.usersImport.failAbandoned()).toBe(1);
    const job: JobView = await admin.jobs.get({ id: started.id });
    expect(job).toMatchObject({ status: 'failed', failure: expect.stringMatching(/stopped before it finished/) });
  });
});
