/**
 * No token row outlives its grant: a token is written only while its grant exists, and a grant's
 * destruction deletes the grant before its tokens. Each race is staged with a second PostgreSQL
 * connection holding the row lock one side would hold mid-flight, so the order is certain.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantGone } from '../../adapters/errors.js';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import type { AdapterPayload } from '../../adapters/oidc/types.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { storedGrant } from '../support/grants.js';

const rid = (prefix: string) => `${prefix}-${randomUUID()}`;
const token = (kind: string, grantId: string): AdapterPayload => ({
  jti: rid(kind),
  kind,
  grantId,
  accountId: 'account-1',
  clientId: 'client-app',
  exp: Math.floor(Date.now() / 1000) + 600,
});

/** Whether `promise` is still unsettled after a pause long enough for an unblocked statement to finish. */
async function stillWaiting(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (
    (await Promise.race([
      promise.then(
        () => 'settled',
        () => 'settled',
      ),
      sleep(300).then(() => pending),
    ])) === pending
  );
}

describe('tokens and their grant', () => {
  let database: Database;
  let databaseUrl: string;
  let other: pg.Client;
  const adapter = (model: string) => new SequelizeAdapter(model, database.models);
  const rows = async (id: string) => (await other.query('SELECT 1 FROM oidc_payloads WHERE id = $1', [id])).rowCount;
  const grant = () => storedGrant(adapter('Grant'));

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    database = await openDatabase(databaseUrl, createLogger('silent'));
    other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
  }, 60_000);

  afterAll(async () => {
    await other?.end();
    await database?.close();
  });

  it('refuses a token of every grant-bound kind whose grant does not exist, writing nothing, while the tokens of a live grant in the same batch land', async () => {
    const live = await grant();
    const kinds = ['AccessToken', 'RefreshToken', 'AuthorizationCode'];
    const orphans = kinds.map((kind) => token(kind, rid('grant')));
    const kept = kinds.map((kind) => token(kind, live));
    const outcomes = await Promise.allSettled(
      [...orphans, ...kept].map((payload) => adapter(String(payload.kind)).upsert(String(payload.jti), payload, 600)),
    );
    for (const outcome of outcomes.slice(0, kinds.length)) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(GrantGone);
    }
    expect(outcomes.slice(kinds.length).every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    for (const payload of orphans) expect(await rows(String(payload.jti))).toBe(0);
    for (const payload of kept) expect(await adapter(String(payload.kind)).find(String(payload.jti))).toEqual(payload);
  });

  it('still writes what is bound to no grant: a client_credentials token, a session', async () => {
    const credentials = { jti: rid('cc'), kind: 'ClientCredentials', clientId: 'client-app' };
    const session = { jti: rid('session'), kind: 'Session', accountId: 'account-1' };
    await adapter('ClientCredentials').upsert(credentials.jti, credentials, 600);
    await adapter('Session').upsert(session.jti, session, 600);
    expect(await adapter('ClientCredentials').find(credentials.jti)).toEqual(credentials);
    expect(await adapter('Session').find(session.jti)).toEqual(session);
  });

  it('writes nothing for a token whose grant is being deleted when it arrives: the write waits for the deletion and then finds no grant', async () => {
    const grantId = await grant();
    await other.query('BEGIN');
    await other.query("DELETE FROM oidc_payloads WHERE model = 'Grant' AND id = $1", [grantId]);
    const access = token('AccessToken', grantId);
    const write = adapter('AccessToken').upsert(String(access.jti), access, 600);
    write.catch(() => undefined);
    expect(await stillWaiting(write)).toBe(true);
    await other.query('COMMIT');
    await expect(write).rejects.toBeInstanceOf(GrantGone);
    expect(await rows(String(access.jti))).toBe(0);
  });

  it("deletes a token written under the grant while the grant's destruction waited for that write", async () => {
    const grantId = await grant();
    const refresh = token('RefreshToken', grantId);
    // The token's write, mid-flight: it holds the grant's row and has inserted, not yet committed.
    await other.query('BEGIN');
    await other.query("SELECT 1 FROM oidc_payloads WHERE model = 'Grant' AND id = $1 FOR KEY SHARE", [grantId]);
    await other.query('INSERT INTO oidc_payloads (model, id, payload, grant_id) VALUES ($1, $2, $3, $4)', [
      'RefreshToken',
      refresh.jti,
      JSON.stringify(refresh),
      grantId,
    ]);
    const destroyed = adapter('Grant').destroy(grantId);
    destroyed.catch(() => undefined);
    expect(await stillWaiting(destroyed)).toBe(true);
    await other.query('COMMIT');
    await destroyed;
    expect(await rows(String(refresh.jti))).toBe(0);
    expect(await rows(grantId)).toBe(0);
  });

  it("destroys a grant's tokens of every kind with it, and leaves another grant's", async () => {
    const [revoked, kept] = [await grant(), await grant()];
    const tokens = [revoked, kept].flatMap((grantId) =>
      ['AccessToken', 'RefreshToken', 'AuthorizationCode'].map((kind) => token(kind, grantId)),
    );
    for (const payload of tokens) await adapter(String(payload.kind)).upsert(String(payload.jti), payload, 600);
    await adapter('Grant').destroy(revoked);
    for (const payload of tokens) expect(await rows(String(payload.jti))).toBe(payload.grantId === revoked ? 0 : 1);
  });
});
