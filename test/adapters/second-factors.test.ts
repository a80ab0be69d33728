/**
 * The one-statement probe a login makes for a second factor: it must agree with what the
 * factor kinds list (confirmed authenticator apps, passkeys; never recovery codes alone).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecondFactorQueries } from '../../adapters/queries/second-factors.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';

describe('whether a user holds a second factor', () => {
  let database: Database;
  const sql = (text: string, bind: unknown[]) => database.sequelize.query(text, { bind });
  const user = async () => {
    const id = `database|${randomUUID()}`;
    await sql('INSERT INTO users (id, created_at, updated_at) VALUES ($1, now(), now())', [id]);
    return id;
  };
  const app = (userId: string, confirmed: boolean) =>
    sql(`INSERT INTO totp_authenticators (id, user_id, name, secret, confirmed_at) VALUES ($1, $2, 'phone', 'sealed', $3)`, [
      `totp_${randomUUID()}`,
      userId,
      confirmed ? new Date() : null,
    ]);
  const passkey = (userId: string) =>
    sql(
      `INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, device_type, backed_up, name)
       VALUES ($1, $2, $3, '\\x00', 'singleDevice', false, 'key')`,
      [`webauthn_${randomUUID()}`, userId, randomUUID()],
    );
  const enrolled = (userId: string) => createSecondFactorQueries(database.models).enrolled(userId);

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
  }, 60_000);

  afterAll(async () => {
    await database?.close();
  });

  it('says no for a user with no factor, with an app not yet confirmed, and for a user that does not exist', async () => {
    const nothing = await user();
    const unconfirmed = await user();
    await app(unconfirmed, false);
    expect(await enrolled(nothing)).toBe(false);
    expect(await enrolled(unconfirmed)).toBe(false);
    expect(await enrolled('database|nobody')).toBe(false);
  });

  it('says yes for a confirmed app, for a passkey, and for both', async () => {
    const [withApp, withPasskey, withBoth] = [await user(), await user(), await user()];
    await app(withApp, true);
    await passkey(withPasskey);
    await app(withBoth, true);
    await passkey(withBoth);
    expect(await enrolled(withApp)).toBe(true);
    expect(await enrolled(withPasskey)).toBe(true);
    expect(await enrolled(withBoth)).toBe(true);
  });

  it("answers for the user asked about, not another's factors", async () => {
    const [holder, other] = [await user(), await user()];
    await passkey(holder);
    expect(await enrolled(other)).toBe(false);
  });
});
