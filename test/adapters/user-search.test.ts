/**
 * users.list's search against a real PostgreSQL: every field kind, boolean logic, sorting,
 * offset pages with totals, and checkpoint pages while users come and go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserSearchQueries, InvalidCursorError, type UserSearchQueries } from '../../adapters/queries/user-search.js';
import { type Database, openDatabase } from '../../adapters/sequelize/database.js';
import type { Json } from '../../adapters/sequelize/models.js';
import { createLogger } from '../../server/logger.js';
import { parseUserQuery, parseUserSort } from '../../server/users/user-query.js';
import { createTestDatabase } from '../support/databases.js';

interface SeedUser {
  id: string;
  created_at: string;
  email?: string;
  email_verified?: boolean;
  username?: string;
  phone_number?: string;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  locale?: string;
  last_login?: string;
  last_ip?: string;
  logins_count?: number;
  blocked?: boolean;
  user_metadata?: Json;
  app_metadata?: Json;
  /** [connection name, external id]; defaults to one database identity. */
  identities?: Array<[string, string]>;
}

const NAMED: SeedUser[] = [
  {
    id: 'database|jane',
    created_at: '2024-02-01T09:00:00.000Z',
    email: 'jane@example.com',
    email_verified: true,
    username: 'jane',
    name: 'Jane Doe',
    nickname: 'janie',
    given_name: 'Jane',
    family_name: 'Doe',
    phone_number: '+15555550100',
    picture: 'https://img.example.com/jane.png',
    locale: 'en',
    last_login: '2024-06-01T12:00:00.000Z',
    last_ip: '10.0.0.1',
    logins_count: 12,
    user_metadata: { plan: 'pro', age: 30, address: { city: 'Paris' }, tags: ['beta', 'vip'], newsletter: true },
    app_metadata: { roles: ['admin', 'editor'], tenant: 'acme' },
    identities: [
      ['Username-Password', 'jane'],
      ['google-oauth2', '1049'],
    ],
  },
  {
    id: 'database|janet',
    created_at: '2024-02-02T09:00:00.000Z',
    email: 'JANET@Example.COM',
    name: 'JANET Smith',
    given_name: 'Janet',
    family_name: 'Smith',
    locale: 'fr',
    logins_count: 3,
    user_metadata: { plan: 'free', age: '30', address: { city: 'Lyon' } },
    app_metadata: { roles: ['editor'] },
  },
  {
    id: 'google-oauth2|1050',
    created_at: '2024-02-03T09:00:00.000Z',
    email: 'sam@gmail.com',
    email_verified: true,
    name: 'Sam Social',
    nickname: 'Sammy',
    logins_count: 5,
    last_login: '2024-05-01T08:00:00.000Z',
    user_metadata: { plan: 'pro', age: 41 },
    identities: [['google-oauth2', '1050']],
  },
  { id: 'database|phone', created_at: '2024-02-04T09:00:00.000Z', phone_number: '+4930123456', name: 'No Mail' },
  { id: 'database|blocked', created_at: '2024-02-05T09:00:00.000Z', email: 'mallory@example.com', name: 'Mallory', blocked: true },
  { id: 'database|under', created_at: '2024-02-06T09:00:00.000Z', email: 'under@example.com', name: 'a_b', user_metadata: { code: 'x_1' } },
  {
    id: 'database|notunder',
    created_at: '2024-02-07T09:00:00.000Z',
    email: 'plain@example.com',
    name: 'axb',
    user_metadata: { code: 'xy1' },
  },
  {
    id: 'database|meta',
    created_at: '2024-02-08T09:00:00.000Z',
    email: 'meta@example.com',
    // Keys and values the prefix index (migration 0007) must spell as the comparison does.
    user_metadata: { "it's": "a\\b'c", 'k.e': { deep: ['alpha', 'beta'] }, long: `${'é'.repeat(250)}tail` },
  },
];

// Filler users; three share one timestamp down to the microsecond so that id breaks the tie.
const FILLER: SeedUser[] = Array.from({ length: 24 }, (_, index) => ({
  id: `database|f${String(index).padStart(2, '0')}`,
  created_at: index >= 20 ? '2024-03-01T10:00:00.123456Z' : new Date(Date.UTC(2024, 0, 1 + index)).toISOString(),
  email: `filler${index}@example.org`,
  name: `Filler ${String(index).padStart(2, '0')}`,
  logins_count: index,
  user_metadata: { plan: index % 2 === 0 ? 'free' : 'team' },
}));

const SEEDS = [...NAMED, ...FILLER];
const UNSET = {
  email: null,
  username: null,
  phone_number: null,
  name: null,
  nickname: null,
  given_name: null,
  family_name: null,
  picture: null,
  locale: null,
  last_ip: null,
};
const ORDERED_IDS = [...SEEDS].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id)).map((user) => user.id);

describe('user search', () => {
  let database: Database;
  let search: UserSearchQueries;

  async function insert(users: readonly SeedUser[]) {
    const { User, Identity, Connection } = database.models;
    const connections = new Map((await Connection.findAll()).map((row) => [row.name, row]));
    for (const { identities, created_at, last_login, ...user } of users) {
      await User.create({ ...UNSET, ...user, last_login: last_login ? new Date(last_login) : null });
      // Microseconds do not survive a JavaScript Date, so the timestamp is written as text.
      await database.sequelize.query('UPDATE users SET created_at = $1::timestamptz WHERE id = $2', { bind: [created_at, user.id] });
      for (const [connectionName, externalId] of identities ?? [['Username-Password', user.id.split('|')[1] ?? user.id]]) {
        const connection = connections.get(connectionName);
        if (!connection) throw new Error(`no connection ${connectionName}`);
        await Identity.create({
          user_id: user.id,
          connection_id: connection.id,
          provider: connection.strategy === 'database' ? 'database' : connectionName,
          external_id: externalId,
          is_social: connection.strategy !== 'database',
          password_hash: null,
        });
      }
    }
  }

  beforeAll(async () => {
    database = await openDatabase(await createTestDatabase(), createLogger('silent'));
    search = createUserSearchQueries(database.models, { exactTotalLimit: 10_000 });
    await database.models.Connection.bulkCreate([
      { id: 'con_db', name: 'Username-Password', strategy: 'database' },
      { id: 'con_google', name: 'google-oauth2', strategy: 'oidc' },
    ]);
    await insert(SEEDS);
  });
  afterAll(() => database?.close());

  /** Ids matching q, in the default order (created_at, then id). */
  async function ids(q: string): Promise<string[]> {
    const { rows } = await search.searchPage({ query: parseUserQuery(q), page: 0, perPage: 100, includeTotals: false });
    return rows.map((row) => row.user.id);
  }

  const inOrder = (...wanted: string[]) => ORDERED_IDS.filter((id) => wanted.includes(id));
  const allBut = (...excluded: string[]) => ORDERED_IDS.filter((id) => !excluded.includes(id));

  describe('root attributes', () => {
    it('matches an email exactly and ignores its case', async () => {
      expect(await ids('email:janet@example.com')).toEqual(['database|janet']);
      expect(await ids('email:JANE@EXAMPLE.COM')).toEqual(['database|jane']);
    });

    it('matches email and name prefixes ignoring case', async () => {
      expect(await ids('email:JAN*')).toEqual(inOrder('database|jane', 'database|janet'));
      expect(await ids('name:jan*')).toEqual(inOrder('database|jane', 'database|janet'));
      expect(await ids('given_name:JANE*')).toEqual(inOrder('database|jane', 'database|janet'));
    });

    it('matches every case-insensitive text field whatever the case', async () => {
      expect(await ids('name:"jane doe"')).toEqual(['database|jane']);
      expect(await ids('nickname:SAMMY')).toEqual(['google-oauth2|1050']);
      expect(await ids('username:JANE')).toEqual(['database|jane']);
      expect(await ids('family_name:smith')).toEqual(['database|janet']);
    });

    it('matches other text fields exactly, case included', async () => {
      expect(await ids('locale:en')).toEqual(['database|jane']);
      expect(await ids('locale:EN')).toEqual([]);
      expect(await ids('phone_number:"+15555550100"')).toEqual(['database|jane']);
      expect(await ids('user_id:"google-oauth2|1050"')).toEqual(['google-oauth2|1050']);
      expect(await ids('picture:"https://img.example.com/jane.png"')).toEqual(['database|jane']);
      expect(await ids('last_ip:"10.0.0.1"')).toEqual(['database|jane']);
    });

    it('treats _ in a prefix as a literal character, not a LIKE wildcard', async () => {
      expect(await ids('name:a_*')).toEqual(['database|under']);
    });

    it('matches booleans', async () => {
      expect(await ids('blocked:true')).toEqual(['database|blocked']);
      expect(await ids('email_verified:true')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('phone_verified:true')).toEqual([]);
    });

    it('matches integers exactly and by range, ends open or exclusive', async () => {
      expect(await ids('logins_count:12')).toEqual(inOrder('database|jane', 'database|f12'));
      expect(await ids('logins_count:[20 TO *]')).toEqual(inOrder('database|f20', 'database|f21', 'database|f22', 'database|f23'));
      expect(await ids('logins_count:{21 TO 23}')).toEqual(['database|f22']);
      expect(await ids('logins_count:>=22')).toEqual(inOrder('database|f22', 'database|f23'));
    });

    it('selects created_at by ISO date range, a day-only upper end including its whole day', async () => {
      expect(await ids('created_at:[2024-02-02 TO 2024-02-04]')).toEqual(['database|janet', 'google-oauth2|1050', 'database|phone']);
      expect(await ids('created_at:[* TO "2024-01-02T00:00:00Z"}')).toEqual(['database|f00']);
      expect(await ids('created_at:2024-02-05')).toEqual(['database|blocked']);
    });

    it('selects last_login by range and by presence', async () => {
      expect(await ids('last_login:[2024-05-15 TO *]')).toEqual(['database|jane']);
      expect(await ids('_exists_:last_login')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
    });

    it('finds who has a field and, negated, who lacks it', async () => {
      expect(await ids('_exists_:phone_number')).toEqual(inOrder('database|jane', 'database|phone'));
      expect(await ids('email:*')).toEqual(allBut('database|phone'));
      expect(await ids('NOT _exists_:email')).toEqual(['database|phone']);
    });
  });

  describe('metadata', () => {
    it('matches a user_metadata key exactly, case included', async () => {
      expect(await ids('user_metadata.plan:pro')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('user_metadata.plan:PRO')).toEqual([]);
    });

    it('matches an unquoted number stored as a number or as a string, a quoted one only as a string', async () => {
      expect(await ids('user_metadata.age:30')).toEqual(inOrder('database|jane', 'database|janet'));
      expect(await ids('user_metadata.age:"30"')).toEqual(['database|janet']);
    });

    it('follows nested keys and finds a value inside an array', async () => {
      expect(await ids('user_metadata.address.city:Paris')).toEqual(['database|jane']);
      expect(await ids('user_metadata.tags:vip')).toEqual(['database|jane']);
      expect(await ids('app_metadata.roles:editor')).toEqual(inOrder('database|jane', 'database|janet'));
    });

    it('matches booleans, presence, prefixes and numeric ranges in metadata', async () => {
      expect(await ids('user_metadata.newsletter:true')).toEqual(['database|jane']);
      expect(await ids('_exists_:app_metadata.tenant')).toEqual(['database|jane']);
      expect(await ids('user_metadata.code:x_*')).toEqual(['database|under']);
      expect(await ids('user_metadata.age:[31 TO 50]')).toEqual(['google-oauth2|1050']);
    });

    it('selects metadata strings by range in byte order, bounds with a common prefix included', async () => {
      expect(await ids('user_metadata.plan:[pa TO pz]')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('user_metadata.plan:{free TO team}')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('user_metadata.code:[x_ TO x_z]')).toEqual(['database|under']);
      expect(await ids('user_metadata.address.city:[Lyon TO Paris]')).toEqual(inOrder('database|jane', 'database|janet'));
      // Capitals sort before small letters byte by byte, whatever the database's collation.
      expect(await ids('user_metadata.address.city:[a TO z]')).toEqual([]);
    });

    it('pages through a metadata prefix in order, whether the first users in order fill the page or not', async () => {
      const query = parseUserQuery('user_metadata.plan:p*');
      const pageOf = async (page: number) =>
        (await search.searchPage({ query, page, perPage: 1, includeTotals: false })).rows.map((row) => row.user.id);
      expect([...(await pageOf(0)), ...(await pageOf(1)), ...(await pageOf(2))]).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
    });

    it('finds a metadata prefix in nested keys, array positions, quoted keys and values, and past 200 characters', async () => {
      expect(await ids('user_metadata.address.city:Par*')).toEqual(['database|jane']);
      expect(await ids(`"user_metadata.it's":a*`)).toEqual(['database|meta']);
      // No q spells a backslash in a prefix; the tree can, and the index must quote it.
      const { rows } = await search.searchPage({
        query: { kind: 'match', field: { name: 'user_metadata', type: 'metadata', path: ["it's"] }, value: "a\\b'", prefix: true },
        page: 0,
        perPage: 10,
        includeTotals: false,
      });
      expect(rows.map((row) => row.user.id)).toEqual(['database|meta']);
      // The stored key "k.e" and the path k → e share their index lexemes; only the first is there.
      expect(await ids('user_metadata.k.e.deep.1:bet*')).toEqual([]);
      expect(await ids('app_metadata.roles.1:edi*')).toEqual(['database|jane']);
      expect(await ids(`user_metadata.long:${'é'.repeat(250)}t*`)).toEqual(['database|meta']);
      expect(await ids(`user_metadata.long:${'é'.repeat(250)}x*`)).toEqual([]);
      expect(await ids('app_metadata.tenant:ac*')).toEqual(['database|jane']);
      expect(await ids('user_metadata.plan:zz*')).toEqual([]);
    });
  });

  describe('identities', () => {
    it('matches any identity by connection name, provider or external id', async () => {
      expect(await ids('identities.connection:google-oauth2')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('identities.provider:google-oauth2')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('identities.user_id:1049')).toEqual(['database|jane']);
      expect(await ids('identities.user_id:105*')).toEqual(['google-oauth2|1050']);
    });

    it('does not match a connection name case-insensitively', async () => {
      expect(await ids('identities.connection:Google-OAuth2')).toEqual([]);
    });
  });

  describe('boolean logic', () => {
    it('combines AND, OR, NOT and parentheses', async () => {
      expect(await ids('user_metadata.plan:pro AND NOT identities.provider:google-oauth2')).toEqual([]);
      expect(await ids('(name:jane* OR name:sam*) AND email_verified:true')).toEqual(inOrder('database|jane', 'google-oauth2|1050'));
      expect(await ids('locale:en OR locale:fr')).toEqual(inOrder('database|jane', 'database|janet'));
      expect(await ids('user_metadata.plan:team -logins_count:[0 TO 18]')).toEqual(['database|f19', 'database|f21', 'database|f23']);
    });

    it('counts a user without the field as not matching, so NOT includes them', async () => {
      expect(await ids('NOT locale:en')).toEqual(allBut('database|jane'));
    });

    it('searches email, name, nickname and username by prefix for a bare term', async () => {
      expect(await ids('jan')).toEqual(inOrder('database|jane', 'database|janet'));
      expect(await ids('sammy')).toEqual(['google-oauth2|1050']);
      expect(await ids('"jane"')).toEqual(['database|jane']);
    });

    it('finds no one, with a total of 0, for a bare term no field starts with', async () => {
      const { rows, total } = await search.searchPage({ query: parseUserQuery('qzxv'), page: 0, perPage: 50, includeTotals: true });
      expect(rows).toEqual([]);
      expect(total).toBe(0);
    });

    it('returns everyone for an empty query', async () => {
      expect(await ids('')).toEqual(ORDERED_IDS);
    });

    it('binds an injection attempt as a plain value: nothing matches and the table stays', async () => {
      expect(await ids(`name:"x'); DROP TABLE users;--"`)).toEqual([]);
      expect(await ids(`"user_metadata.x') OR 1=1 --":y`)).toEqual([]);
      expect(await database.models.User.count()).toBe(SEEDS.length);
    });
  });

  describe('offset pages', () => {
    it('returns the requested page in created_at order with the total', async () => {
      const result = await search.searchPage({ page: 1, perPage: 5, includeTotals: true });
      expect(result.rows.map((row) => row.user.id)).toEqual(ORDERED_IDS.slice(5, 10));
      expect(result.total).toBe(SEEDS.length);
    });

    it('counts the total of the filtered set and omits it unless asked', async () => {
      const query = parseUserQuery('user_metadata.plan:free');
      expect((await search.searchPage({ query, page: 0, perPage: 2, includeTotals: true })).total).toBe(13);
      expect((await search.searchPage({ query, page: 0, perPage: 2, includeTotals: false })).total).toBeUndefined();
    });

    it('estimates a total past the exact limit, never below the matches it counted, and says so', async () => {
      const capped = createUserSearchQueries(database.models, { exactTotalLimit: 3 });
      const everyone = await capped.searchPage({ page: 0, perPage: 2, includeTotals: true });
      expect(everyone.rows.map((row) => row.user.id)).toEqual(ORDERED_IDS.slice(0, 2));
      expect(everyone.totalEstimated).toBe(true);
      expect(everyone.total).toBeGreaterThanOrEqual(4);
      const few = await capped.searchPage({ query: parseUserQuery('user_metadata.plan:pro'), page: 0, perPage: 2, includeTotals: true });
      expect(few).toMatchObject({ total: 2 });
      expect(few.totalEstimated).toBeUndefined();
    });

    it('sorts by a field either way, breaking ties by id', async () => {
      const page = (sort: string) =>
        search
          .searchPage({
            query: parseUserQuery('logins_count:[10 TO 13]'),
            sort: parseUserSort(sort),
            page: 0,
            perPage: 10,
            includeTotals: false,
          })
          .then(({ rows }) => rows.map((row) => row.user.id));
      expect(await page('logins_count:1')).toEqual(['database|f10', 'database|f11', 'database|f12', 'database|jane', 'database|f13']);
      expect(await page('logins_count:-1')).toEqual(['database|f13', 'database|jane', 'database|f12', 'database|f11', 'database|f10']);
    });

    it('loads each user with every identity and its connection', async () => {
      const { rows } = await search.searchPage({ query: parseUserQuery('username:jane'), page: 0, perPage: 1, includeTotals: false });
      const connections = rows[0]?.identities.map((identity) => identity.connection?.name).sort();
      expect(connections).toEqual(['Username-Password', 'google-oauth2']);
    });
  });

  describe('checkpoint pages', () => {
    async function walk(q: string, take: number, between?: (pageIndex: number) => Promise<void>): Promise<string[]> {
      const query = parseUserQuery(q);
      const seen: string[] = [];
      let from: string | undefined;
      for (let pageIndex = 0; ; pageIndex += 1) {
        const { rows, next } = await search.searchCheckpoint({ query, ...(from === undefined ? {} : { from }), take });
        seen.push(...rows.map((row) => row.user.id));
        if (!next) return seen;
        expect(rows).toHaveLength(take);
        await between?.(pageIndex);
        from = next;
      }
    }

    it('walks every user exactly once in created_at order, ties within a microsecond included', async () => {
      expect(await walk('', 7)).toEqual(ORDERED_IDS);
      expect(await walk('', 1)).toEqual(ORDERED_IDS);
    });

    it('omits next on the last page, even when it is full', async () => {
      const { rows, next } = await search.searchCheckpoint({ query: parseUserQuery('locale:*'), take: 2 });
      expect(rows).toHaveLength(2);
      expect(next).toBeUndefined();
    });

    it('neither skips nor repeats a user when users are created and deleted between pages', async () => {
      const churn = Array.from({ length: 6 }, (_, index) => ({
        id: `database|churn${index}`,
        created_at: `2025-01-0${index + 1}T00:00:00.000Z`,
        app_metadata: { batch: 'churn' },
      }));
      await insert(churn);
      const fresh = ['database|churn-new1', 'database|churn-new2'];
      const seen = await walk('app_metadata.batch:churn', 2, async (pageIndex) => {
        if (pageIndex !== 0) return;
        // churn0 was already returned, churn4 not yet; new users are created now, after all of them.
        await database.models.User.destroy({ where: { id: ['database|churn0', 'database|churn4'] } });
        await insert(fresh.map((id) => ({ id, created_at: new Date().toISOString(), app_metadata: { batch: 'churn' } })));
      });
      expect(seen).toEqual(['database|churn0', 'database|churn1', 'database|churn2', 'database|churn3', 'database|churn5', ...fresh]);
      await database.models.User.destroy({ where: { id: [...churn.map((user) => user.id), ...fresh] } });
    });

    it('rejects a cursor it did not issue', async () => {
      const forged = [
        'not a cursor',
        Buffer.from('{"a":1}').toString('base64url'),
        Buffer.from('["2024-01-01T00:00:00Z","database|jane"]').toString('base64url'),
        Buffer.from('["2024-13-45T00:00:00.000000Z","database|jane"]').toString('base64url'),
      ];
      for (const from of forged) {
        await expect(search.searchCheckpoint({ from, take: 5 })).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });
  });
});
