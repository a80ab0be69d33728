/**
 * The oidc_payloads statements batched per turn of the event loop: what callers issued together
 * goes out as one statement, and each caller still gets exactly its own answer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequelizeAdapter } from '../../adapters/oidc/sequelize-adapter.js';
import { indexTokenKinds } from '../../adapters/oidc/token-kinds.js';
import { type AdapterPayload, AlreadyConsumed } from '../../adapters/oidc/types.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { storedGrant } from '../support/grants.js';
import { payloadStatementsDuring } from '../support/pg-statements.js';

const rid = (prefix: string) => `${prefix}-${randomUUID()}`;
/** The grant every token here is issued under; each database gets it in its beforeAll. */
const GRANT_ID = rid('grant');
const token = (kind: string, extra: Partial<AdapterPayload> = {}): AdapterPayload => ({
  jti: rid(kind),
  kind,
  grantId: GRANT_ID,
  clientId: 'client-app',
  exp: Math.floor(Date.now() / 1000) + 600,
  ...extra,
});

describe('oidc_payloads statements batched per turn', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    await storedGrant(new SequelizeAdapter('Grant', database.models), GRANT_ID);
  }, 60_000);

  afterAll(async () => {
    await database.close();
  });

  it('writes and reads back artifacts of several models issued together in one statement (tokens) and one (the rest), each caller getting its own', async () => {
    const models = ['AccessToken', 'RefreshToken', 'Grant', 'Session', 'AccessToken'];
    const adapters = models.map((model) => new SequelizeAdapter(model, database.models));
    const payloads = models.map((model) => token(model));
    const ids = payloads.map((payload) => String(payload.jti));
    const writes = await payloadStatementsDuring(() =>
      Promise.all(adapters.map((adapter, index) => adapter.upsert(ids[index] ?? '', payloads[index] ?? {}, 600))),
    );
    expect(writes).toBe(2);
    let found: Array<AdapterPayload | undefined> = [];
    const reads = await payloadStatementsDuring(async () => {
      found = await Promise.all([...adapters.map((adapter, index) => adapter.find(ids[index] ?? '')), adapters[1]?.find(ids[0] ?? '')]);
    });
    expect(reads).toBe(1);
    expect(found.slice(0, models.length)).toEqual(payloads);
    // The refresh-token adapter asked for the access token's id: not its model, so not found.
    expect(found[models.length]).toBeUndefined();
  });

  it("writes a refresh's two tokens, issued together, in one statement, and an interaction's session and grant in one", async () => {
    const write = (models: string[]) =>
      payloadStatementsDuring(() =>
        Promise.all(
          models.map((model) => {
            const payload = token(model);
            return new SequelizeAdapter(model, database.models).upsert(String(payload.jti), payload, 600);
          }),
        ),
      );
    expect(await write(['RefreshToken', 'AccessToken'])).toBe(1);
    expect(await write(['Session', 'Grant'])).toBe(1);
  });

  it('hands two callers that read one artifact together two separate copies', async () => {
    const adapter = new SequelizeAdapter('Grant', database.models);
    const grant = token('Grant', { openid: { scope: 'openid' } });
    await adapter.upsert(String(grant.jti), grant, 600);
    const [first, second] = await Promise.all([adapter.find(String(grant.jti)), adapter.find(String(grant.jti))]);
    expect(first).toEqual(grant);
    expect(second).toEqual(grant);
    expect(first?.['openid']).not.toBe(second?.['openid']);
  });

  it('keeps the later of two upserts of one id issued in the same turn', async () => {
    const adapter = new SequelizeAdapter('Session', database.models);
    const id = rid('session');
    await Promise.all([adapter.upsert(id, { kind: 'Session', step: 1 }, 600), adapter.upsert(id, { kind: 'Session', step: 2 }, 600)]);
    expect(await adapter.find(id)).toEqual({ kind: 'Session', step: 2 });
  });

  it('tells each write whether it created its row or replaced one, alone, batched, twice in one turn, and for tokens under a grant', async () => {
    const grants = new SequelizeAdapter('Grant', database.models);
    const sessions = new SequelizeAdapter('Session', database.models);
    const tokens = new SequelizeAdapter('AuthorizationCode', database.models);
    const [grantId, sessionId, twiceId] = [rid('grant'), rid('session'), rid('session')];
    expect(await grants.save(grantId, { kind: 'Grant', accountId: 'someone' }, 600)).toBe('created');
    expect(await grants.save(grantId, { kind: 'Grant', accountId: 'someone', changed: true }, 600)).toBe('replaced');

    const code = token('AuthorizationCode', { grantId });
    expect(
      await Promise.all([
        grants.save(grantId, { kind: 'Grant', accountId: 'someone' }, 600),
        sessions.save(sessionId, { kind: 'Session' }, 600),
        sessions.save(twiceId, { kind: 'Session', step: 1 }, 600),
        sessions.save(twiceId, { kind: 'Session', step: 2 }, 600),
        tokens.save(String(code.jti), code, 600),
      ]),
    ).toEqual(['replaced', 'created', 'created', 'replaced', 'created']);
    expect(await tokens.save(String(code.jti), { ...code, changed: true }, 600)).toBe('replaced');
  });

  it('lets exactly one of several consumes of one refresh token issued in the same turn pass, in one statement', async () => {
    const adapters = Array.from({ length: 5 }, () => new SequelizeAdapter('RefreshToken', database.models));
    const refresh = token('RefreshToken');
    const id = String(refresh.jti);
    await adapters[0]?.upsert(id, refresh, 600);
    const other = token('RefreshToken');
    await adapters[0]?.upsert(String(other.jti), other, 600);
    let outcomes: PromiseSettledResult<'consumed' | 'absent'>[] = [];
    const statements = await payloadStatementsDuring(async () => {
      outcomes = await Promise.allSettled([
        ...adapters.map((adapter) => adapter.consumeOnce(id)),
        adapters[0]?.consumeOnce(String(other.jti)) ?? Promise.reject(),
      ]);
    });
    const sameToken = outcomes.slice(0, adapters.length);
    expect(sameToken.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === 'consumed')).toHaveLength(1);
    const refused = sameToken.filter((outcome) => outcome.status === 'rejected');
    expect(refused).toHaveLength(adapters.length - 1);
    for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyConsumed);
    expect(outcomes[adapters.length]).toEqual({ status: 'fulfilled', value: 'consumed' });
    // One UPDATE for all six; each loser then reads the artifact once, those reads batched together.
    expect(statements).toBe(2);
  });
});

describe('the token kind index', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    await storedGrant(new SequelizeAdapter('Grant', database.models), GRANT_ID);
  }, 60_000);

  afterAll(async () => {
    await database.close();
  });

  it('answers a lookup of a known access token id as another kind of token without asking PostgreSQL, and still finds the access token', async () => {
    const factory = indexTokenKinds((model) => new SequelizeAdapter(model, database.models));
    const accessToken = token('AccessToken');
    const id = String(accessToken.jti);
    await factory('AccessToken').upsert(id, accessToken, 600);
    let found: Array<AdapterPayload | undefined> = [];
    const statements = await payloadStatementsDuring(async () => {
      found = (await Promise.all([factory('ClientCredentials').find(id), factory('RefreshToken').find(id)])).map(
        (value) => value ?? undefined,
      );
    });
    expect(statements).toBe(0);
    expect(found).toEqual([undefined, undefined]);
    expect(await factory('AccessToken').find(id)).toEqual(accessToken);
  });

  it('does not keep a revoked access token alive: the store is asked for the token itself every time', async () => {
    const factory = indexTokenKinds((model) => new SequelizeAdapter(model, database.models));
    const accessToken = token('AccessToken');
    const id = String(accessToken.jti);
    await factory('AccessToken').upsert(id, accessToken, 600);
    expect(await factory('AccessToken').find(id)).toEqual(accessToken);
    // Revoked through another adapter, as another node would.
    await new SequelizeAdapter('AccessToken', database.models).destroy(id);
    expect(await factory('AccessToken').find(id)).toBeUndefined();
  });
});
