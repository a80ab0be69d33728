/**
 * The storage seam against a real PostgreSQL: the queries hand out plain records, never
 * Sequelize instances, and report a write refused by a unique constraint as a StoreConflict.
 */
import { UniqueConstraintError } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConflict } from '../../adapters/errors.js';
import { type ConnectionOptionsCodec, type ConnectionQueries, createConnectionQueries } from '../../adapters/queries/connections.js';
import { createUserQueries, type NewIdentity, type UserQueries } from '../../adapters/queries/users.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

// Stores options under a marker and takes it off again, so a record shows whether it was opened.
const markingCodec: ConnectionOptionsCodec = {
  seal: (_id, _strategy, options) => ({ sealed: options }),
  open: (_id, _strategy, options) => (options['sealed'] as Record<string, unknown> | undefined) ?? options,
};

const USER_FIELDS = [
  'app_metadata',
  'blocked',
  'created_at',
  'email',
  'email_verified',
  'family_name',
  'given_name',
  'id',
  'last_ip',
  'last_login',
  'locale',
  'logins_count',
  'management_scopes',
  'name',
  'nickname',
  'phone_number',
  'phone_verified',
  'picture',
  'updated_at',
  'user_metadata',
  'username',
];
const IDENTITY_FIELDS = [
  'connection',
  'connection_id',
  'external_id',
  'id',
  'is_social',
  'password_hash',
  'profile_data',
  'provider',
  'user_id',
];

describe('the storage seam', () => {
  let database: Database;
  let users: UserQueries;
  let connections: ConnectionQueries;
  let connectionId: string;

  const identity = (externalId: string, email: string): NewIdentity => ({
    connectionId,
    provider: 'database',
    externalId,
    isSocial: false,
    profileData: { email },
    passwordHash: null,
  });

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    users = createUserQueries(database.models, markingCodec);
    connections = createConnectionQueries(database.models, markingCodec);
    connectionId = (await connections.create({ id: 'con_seam', name: 'seam', strategy: 'database', options: { min_length: 12 } })).id;
    await users.insertWithIdentity({ id: 'database|ada', email: 'ada@example.com' }, identity('ada', 'ada@example.com'));
  });
  afterAll(() => database.close());

  it('hands out a user, its identities and their connection as plain objects with the fields callers read', async () => {
    const found = await users.findById('database|ada');
    expect(found).toBeDefined();
    const { user, identities } = found!;
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
    expect(user).toMatchObject({ id: 'database|ada', email: 'ada@example.com', logins_count: 0, user_metadata: {} });
    expect(identities).toHaveLength(1);
    const [only] = identities;
    expect(Object.getPrototypeOf(only)).toBe(Object.prototype);
    expect(Object.keys(only!).sort()).toEqual(IDENTITY_FIELDS);
    expect(only!.connection).toEqual({ id: connectionId, name: 'seam', strategy: 'database', options: { min_length: 12 } });
  });

  it('hands out the columns with their types: dates, counts, scopes and metadata; every identity, and none for a user without', async () => {
    await users.transaction((transaction) =>
      users.insert(
        { id: 'database|lone', email: 'lone@example.com', user_metadata: { plan: 'pro' }, management_scopes: ['read:users'] },
        transaction,
      ),
    );
    await users.recordLogin('database|lone', '203.0.113.9');
    const lone = await users.findById('database|lone');
    expect(lone?.identities).toEqual([]);
    expect(lone?.user).toMatchObject({ logins_count: 1, last_ip: '203.0.113.9', user_metadata: { plan: 'pro' }, app_metadata: {} });
    expect(lone?.user.management_scopes).toEqual(['read:users']);
    for (const field of ['created_at', 'updated_at', 'last_login'] as const) expect(lone?.user[field]).toBeInstanceOf(Date);

    for (const externalId of ['lone-2', 'lone-3']) {
      await users.transaction((transaction) =>
        users.insertIdentity('database|lone', identity(externalId, `${externalId}@example.com`), transaction),
      );
    }
    const linked = await users.findById('database|lone');
    expect(linked?.identities.map((held) => held.external_id)).toEqual(['lone-2', 'lone-3']);
    expect(linked?.identities.map((held) => held.connection?.options)).toEqual([{ min_length: 12 }, { min_length: 12 }]);
    expect(typeof linked?.identities[0]?.id).toBe(typeof (await users.findDatabaseIdentity(connectionId, 'ada@example.com'))?.id);
  });

  it('hands out connections as plain objects with their options opened', async () => {
    for (const connection of [await connections.findByName('seam'), ...(await connections.list()).filter((row) => row.name === 'seam')]) {
      expect(Object.getPrototypeOf(connection)).toBe(Object.prototype);
      expect(connection).toEqual({ id: connectionId, name: 'seam', strategy: 'database', options: { min_length: 12 } });
    }
  });

  it('hands out an identity found alone without a connection', async () => {
    const found = await users.findDatabaseIdentity(connectionId, 'ADA@example.com');
    expect(Object.getPrototypeOf(found)).toBe(Object.prototype);
    expect(Object.keys(found!).sort()).toEqual(IDENTITY_FIELDS.filter((field) => field !== 'connection'));
  });

  it('reports a second user with a taken email in the connection as a StoreConflict wrapping the driver error, and writes nothing', async () => {
    const refused = await users
      .insertWithIdentity({ id: 'database|ada2', email: 'ada@example.com' }, identity('ada2', 'ADA@example.com'))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreConflict);
    expect((refused as StoreConflict).cause).toBeInstanceOf(UniqueConstraintError);
    expect(await users.findById('database|ada2')).toBeUndefined();
  });

  it('reports a conflict inside transaction(fn) as a StoreConflict', async () => {
    const refused = await users
      .transaction((transaction) => users.insert({ id: 'database|ada' }, transaction))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreConflict);
  });

  it('reports a taken connection name as a StoreConflict', async () => {
    const refused = await connections
      .create({ id: 'con_other', name: 'seam', strategy: 'database', options: {} })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreConflict);
    expect(await connections.findById('con_other')).toBeNull();
  });
});
