/**
 * parseUserQuery and parseUserSort: every syntax form of users.list's `q`, and every way a
 * query is refused, with the place it goes wrong.
 */
import { describe, expect, it } from 'vitest';
import { FIELD_TYPES, type FieldName, MATCH_ALL, type UserQuery } from '../../adapters/queries/user-query-tree.js';
import { DomainError } from '../../server/errors.js';
import { MAX_QUERY_BYTES, parseUserQuery, parseUserSort } from '../../server/users/user-query.js';

const field = (name: FieldName, ...path: string[]) => ({ name, type: FIELD_TYPES[name], path });
const match = (name: FieldName, value: string | number | boolean | null, prefix = false): UserQuery => ({
  kind: 'match',
  field: field(name),
  value,
  prefix,
});
const utc = (iso: string) => new Date(iso);

function rejection(q: string, parse: (text: string) => unknown = parseUserQuery): DomainError {
  try {
    parse(q);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`accepted ${q}`);
}

describe('parseUserQuery', () => {
  describe('terms', () => {
    it('reads field:value as a whole-value match', () => {
      expect(parseUserQuery('email:jane@example.com')).toEqual(match('email', 'jane@example.com'));
    });

    it('keeps a quoted phrase whole, wildcards included, in double or single quotes', () => {
      expect(parseUserQuery('name:"Jane D*"')).toEqual(match('name', 'Jane D*'));
      expect(parseUserQuery("name:'Jane Doe'")).toEqual(match('name', 'Jane Doe'));
      expect(parseUserQuery('name:"say \\"hi\\""')).toEqual(match('name', 'say "hi"'));
    });

    it('reads a trailing * as a prefix match', () => {
      expect(parseUserQuery('name:jo*')).toEqual(match('name', 'jo', true));
      expect(parseUserQuery('identities.user_id:105*')).toEqual(match('identities.user_id', '105', true));
    });

    it('keeps an unquoted value as typed for text fields', () => {
      expect(parseUserQuery('username:007')).toEqual(match('username', '007'));
      expect(parseUserQuery('nickname:true')).toEqual(match('nickname', 'true'));
    });

    it('reads booleans in any case and integers', () => {
      expect(parseUserQuery('blocked:TRUE')).toEqual(match('blocked', true));
      expect(parseUserQuery('email_verified:false')).toEqual(match('email_verified', false));
      expect(parseUserQuery('logins_count:42')).toEqual(match('logins_count', 42));
    });

    it('reads _exists_:field and field:* as presence', () => {
      expect(parseUserQuery('_exists_:email')).toEqual({ kind: 'exists', field: field('email') });
      expect(parseUserQuery('email:*')).toEqual({ kind: 'exists', field: field('email') });
      expect(parseUserQuery('_exists_:user_metadata.plan')).toEqual({ kind: 'exists', field: field('user_metadata', 'plan') });
    });

    it('knows the identity fields', () => {
      expect(parseUserQuery('identities.connection:google-oauth2')).toEqual(match('identities.connection', 'google-oauth2'));
      expect(parseUserQuery('identities.provider:database')).toEqual(match('identities.provider', 'database'));
    });
  });

  describe('ranges', () => {
    it('reads inclusive, exclusive and mixed brackets', () => {
      expect(parseUserQuery('logins_count:[5 TO 10]')).toEqual({
        kind: 'range',
        field: field('logins_count'),
        min: { value: 5, inclusive: true },
        max: { value: 10, inclusive: true },
      });
      expect(parseUserQuery('logins_count:{5 TO 10]')).toMatchObject({ min: { inclusive: false }, max: { inclusive: true } });
      expect(parseUserQuery('logins_count:[5 TO 10}')).toMatchObject({ min: { inclusive: true }, max: { inclusive: false } });
    });

    it('leaves an end open with *, and reads [* TO *] as presence', () => {
      expect(parseUserQuery('logins_count:[5 TO *]')).toEqual({
        kind: 'range',
        field: field('logins_count'),
        min: { value: 5, inclusive: true },
      });
      expect(parseUserQuery('logins_count:[* TO 5]')).toEqual({
        kind: 'range',
        field: field('logins_count'),
        max: { value: 5, inclusive: true },
      });
      expect(parseUserQuery('last_login:[* TO *]')).toEqual({ kind: 'exists', field: field('last_login') });
    });

    it('reads dates in ranges, a day-only upper end covering its whole UTC day', () => {
      expect(parseUserQuery('created_at:[2024-01-01 TO 2024-01-31]')).toEqual({
        kind: 'range',
        field: field('created_at'),
        min: { value: utc('2024-01-01T00:00:00Z'), inclusive: true },
        max: { value: utc('2024-02-01T00:00:00Z'), inclusive: false },
      });
      expect(parseUserQuery('created_at:{2024-01-01 TO *}')).toEqual({
        kind: 'range',
        field: field('created_at'),
        min: { value: utc('2024-01-02T00:00:00Z'), inclusive: true },
      });
    });

    it('reads timestamps with an offset, or as UTC without one, quoted or not', () => {
      expect(parseUserQuery('updated_at:["2024-01-01T10:00:00+02:00" TO 2024-01-01T12:30]')).toEqual({
        kind: 'range',
        field: field('updated_at'),
        min: { value: utc('2024-01-01T08:00:00Z'), inclusive: true },
        max: { value: utc('2024-01-01T12:30:00Z'), inclusive: true },
      });
    });

    it('reads a day-only date match as that whole day', () => {
      expect(parseUserQuery('last_login:2024-02-29')).toEqual({
        kind: 'range',
        field: field('last_login'),
        min: { value: utc('2024-02-29T00:00:00Z'), inclusive: true },
        max: { value: utc('2024-03-01T00:00:00Z'), inclusive: false },
      });
    });

    it('reads the comparison operators as one-sided ranges', () => {
      expect(parseUserQuery('logins_count:>5')).toEqual({
        kind: 'range',
        field: field('logins_count'),
        min: { value: 5, inclusive: false },
      });
      expect(parseUserQuery('logins_count:<=5')).toEqual({
        kind: 'range',
        field: field('logins_count'),
        max: { value: 5, inclusive: true },
      });
      expect(parseUserQuery('created_at:<2024-03-01')).toEqual({
        kind: 'range',
        field: field('created_at'),
        max: { value: utc('2024-03-01T00:00:00Z'), inclusive: false },
      });
    });

    it('compares text ranges as text and metadata ranges as numbers when both ends are numbers', () => {
      expect(parseUserQuery('name:[a TO "m z"}')).toEqual({
        kind: 'range',
        field: field('name'),
        min: { value: 'a', inclusive: true },
        max: { value: 'm z', inclusive: false },
      });
      expect(parseUserQuery('user_metadata.age:[18 TO *]')).toEqual({
        kind: 'range',
        field: field('user_metadata', 'age'),
        min: { value: 18, inclusive: true },
      });
      expect(parseUserQuery('user_metadata.tier:[a TO c]')).toMatchObject({ min: { value: 'a' }, max: { value: 'c' } });
    });

    it('leaves a range-like text inside quotes alone', () => {
      expect(parseUserQuery('name:"x:[1 TO 2]"')).toEqual(match('name', 'x:[1 TO 2]'));
    });
  });

  describe('metadata', () => {
    it('turns a nested key into a path', () => {
      expect(parseUserQuery('user_metadata.address.city:Paris')).toEqual({
        kind: 'match',
        field: field('user_metadata', 'address', 'city'),
        value: 'Paris',
        prefix: false,
      });
    });

    it('matches an unquoted number, boolean or null as that JSON value or as its text', () => {
      const either = (value: number | boolean | null, text: string): UserQuery => ({
        kind: 'or',
        operands: [
          { kind: 'match', field: field('app_metadata', 'x'), value, prefix: false },
          { kind: 'match', field: field('app_metadata', 'x'), value: text, prefix: false },
        ],
      });
      expect(parseUserQuery('app_metadata.x:30')).toEqual(either(30, '30'));
      expect(parseUserQuery('app_metadata.x:1.50')).toEqual(either(1.5, '1.50'));
      expect(parseUserQuery('app_metadata.x:true')).toEqual(either(true, 'true'));
      expect(parseUserQuery('app_metadata.x:null')).toEqual(either(null, 'null'));
    });

    it('matches a quoted value as a string only', () => {
      expect(parseUserQuery('app_metadata.x:"30"')).toEqual({
        kind: 'match',
        field: field('app_metadata', 'x'),
        value: '30',
        prefix: false,
      });
    });

    it('allows a key with spaces in a quoted field name', () => {
      expect(parseUserQuery('"user_metadata.full name":x')).toMatchObject({ field: field('user_metadata', 'full name') });
    });
  });

  describe('boolean operators', () => {
    const a = match('name', 'a');
    const b = match('name', 'b');
    const c = match('name', 'c');

    it('reads AND, OR and NOT', () => {
      expect(parseUserQuery('name:a AND name:b')).toEqual({ kind: 'and', operands: [a, b] });
      expect(parseUserQuery('name:a OR name:b')).toEqual({ kind: 'or', operands: [a, b] });
      expect(parseUserQuery('NOT name:a')).toEqual({ kind: 'not', operand: a });
    });

    it('reads -term as NOT and side-by-side terms as AND', () => {
      expect(parseUserQuery('-name:a')).toEqual({ kind: 'not', operand: a });
      expect(parseUserQuery('name:a name:b')).toEqual({ kind: 'and', operands: [a, b] });
    });

    it('follows parentheses and flattens chains of one operator', () => {
      expect(parseUserQuery('name:a AND (name:b OR name:c)')).toEqual({ kind: 'and', operands: [a, { kind: 'or', operands: [b, c] }] });
      expect(parseUserQuery('name:a OR (name:b OR name:c)')).toEqual({ kind: 'or', operands: [a, b, c] });
      expect(parseUserQuery('NOT (name:a OR name:b)')).toEqual({ kind: 'not', operand: { kind: 'or', operands: [a, b] } });
    });

    it('accepts a long flat chain', () => {
      const q = Array.from({ length: 200 }, (_, index) => `logins_count:${index}`).join(' OR ');
      expect(parseUserQuery(q)).toMatchObject({ kind: 'or', operands: expect.any(Array) });
    });
  });

  describe('bare terms and empty queries', () => {
    it('reads a bare term as a prefix on email, name, nickname or username', () => {
      expect(parseUserQuery('jane')).toEqual({
        kind: 'or',
        operands: [
          match('email', 'jane', true),
          match('name', 'jane', true),
          match('nickname', 'jane', true),
          match('username', 'jane', true),
        ],
      });
      expect(parseUserQuery('jane*')).toEqual(parseUserQuery('jane'));
    });

    it('reads a quoted bare term as an exact match on those fields', () => {
      expect(parseUserQuery('"Jane Doe"')).toMatchObject({ kind: 'or', operands: [{ value: 'Jane Doe', prefix: false }, {}, {}, {}] });
    });

    it('matches everyone for an empty query or a lone *', () => {
      expect(parseUserQuery('')).toEqual(MATCH_ALL);
      expect(parseUserQuery('   ')).toEqual(MATCH_ALL);
      expect(parseUserQuery('*')).toEqual(MATCH_ALL);
    });
  });

  describe('refusals', () => {
    it('refuses with search.invalid_query on the q field', () => {
      const error = rejection('name:a)');
      expect(error.code).toBe('search.invalid_query');
      expect(error.field).toBe('q');
    });

    it('names the line and column of a syntax error', () => {
      expect(rejection('name:a)').message).toBe('syntax error (at line 1, column 7)');
      expect(rejection('name:a AND\nname:b c:)').message).toBe('syntax error (at line 2, column 10)');
      expect(rejection('name:[a TO b TO c]').message).toMatch(/^syntax error \(at line 1, column \d+\)$/);
    });

    it('names the end of a query that stops mid-expression', () => {
      expect(rejection('name:a AND').message).toBe('unexpected end of query (at line 1, column 11)');
      expect(rejection('(name:a').message).toBe('unexpected end of query (at line 1, column 8)');
      expect(rejection('name:"open').message).toBe('unexpected end of query (at line 1, column 11)');
    });

    it('names an unknown field and where it is', () => {
      expect(rejection('email:a OR password:b').message).toBe('unknown field "password" (at line 1, column 12)');
      expect(rejection('_exists_:secret').message).toBe('unknown field "secret" (at line 1, column 10)');
      expect(rejection('constructor:x').message).toBe('unknown field "constructor" (at line 1, column 1)');
      expect(rejection('identities.password:x').message).toBe('unknown field "identities.password" (at line 1, column 1)');
    });

    it('refuses metadata without a key or with an empty one', () => {
      expect(rejection('user_metadata:x').message).toBe('"user_metadata" needs a key, as in user_metadata.plan (at line 1, column 1)');
      expect(rejection('app_metadata..a:x').message).toBe('"app_metadata..a" has an empty key (at line 1, column 1)');
    });

    it('refuses a value of the wrong type, naming the field', () => {
      expect(rejection('blocked:yes').message).toBe('"blocked" expects true or false, got "yes" (at line 1, column 9)');
      expect(rejection('logins_count:1.5').message).toBe('"logins_count" expects an integer, got "1.5" (at line 1, column 14)');
      expect(rejection('logins_count:[1 TO many]').message).toBe('"logins_count" expects an integer, got "many" (at line 1, column 20)');
      expect(rejection('created_at:yesterday').message).toBe(
        '"created_at" expects an ISO 8601 date, got "yesterday" (at line 1, column 12)',
      );
      expect(rejection('created_at:2023-02-29').message).toBe(
        '"created_at" expects an ISO 8601 date, got "2023-02-29" (at line 1, column 12)',
      );
    });

    it('refuses a prefix on a field that is not text, and wildcards anywhere but the end', () => {
      expect(rejection('logins_count:1*').message).toBe(
        'prefix matching works on text fields, not on "logins_count" (at line 1, column 14)',
      );
      expect(rejection('name:j*n').message).toBe('only a trailing * (prefix match) is supported (at line 1, column 6)');
      expect(rejection('name:j?n').message).toBe('only a trailing * (prefix match) is supported (at line 1, column 6)');
    });

    it('refuses regular expressions, missing values, boolean ranges and liqe-only range forms', () => {
      expect(rejection('name:/ja.e/').message).toBe('regular expressions are not supported (at line 1, column 6)');
      expect(rejection('name:').message).toBe('missing value for "name" (at line 1, column 6)');
      expect(rejection('blocked:[false TO true]').message).toBe('"blocked" is true or false and has no range (at line 1, column 10)');
      expect(rejection('logins_count:=[1 TO 2]').message).toBe('a range is written field:[a TO b] (at line 1, column 13)');
      expect(rejection('()').message).toBe('empty expression (at line 1, column 2)');
    });

    it('accepts 4 kB and refuses one byte more, counting UTF-8 bytes', () => {
      const fill = (bytes: number) => 'x '.repeat(bytes).slice(0, bytes);
      expect(() => parseUserQuery(fill(MAX_QUERY_BYTES))).not.toThrow();
      expect(rejection(fill(MAX_QUERY_BYTES + 1)).message).toBe('q is longer than 4096 bytes');
      // 2,100 two-byte characters: fewer than 4096 characters, more than 4096 bytes.
      expect(rejection(`name:"${'é'.repeat(2100)}"`).message).toBe('q is longer than 4096 bytes');
    });

    it('refuses an unquoted term over 320 characters and a quoted value over 1024, saying where each starts', () => {
      expect(() => parseUserQuery(`name:${'a'.repeat(315)}`)).not.toThrow();
      expect(rejection(`name:${'a'.repeat(316)}`).message).toBe(
        'a term is longer than 320 characters; quote a longer value (at line 1, column 1)',
      );
      expect(rejection(`name:x OR\n  ${'a'.repeat(4000)}`).message).toBe(
        'a term is longer than 320 characters; quote a longer value (at line 2, column 3)',
      );
      expect(() => parseUserQuery(`name:"${'a'.repeat(1024)}"`)).not.toThrow();
      expect(rejection(`name:x "${'a'.repeat(1025)}"`).message).toBe('a quoted value is longer than 1024 characters (at line 1, column 8)');
      expect(rejection(`name:"${'a\\"'.repeat(400)}"`).message).toBe('a quoted value is longer than 1024 characters (at line 1, column 6)');
      expect(rejection(`'${'a'.repeat(1025)}`).message).toBe('a quoted value is longer than 1024 characters (at line 1, column 1)');
      expect(rejection(`x:[${'1'.repeat(400)} TO 2]`).field).toBe('q');
    });

    it('reads a chain of 2,048 terms as one flat AND without exhausting the stack', () => {
      const query = parseUserQuery('x '.repeat(2048));
      expect(query.kind === 'and' && query.operands.length).toBe(2048);
    });

    it('refuses 2,000 nested parentheses as too deep instead of exhausting the stack', () => {
      expect(rejection(`${'('.repeat(2000)}a${')'.repeat(2000)}`).message).toBe('q nests deeper than 32 levels');
    });

    it('refuses nesting deeper than 32 levels', () => {
      const nested = (levels: number) => `${'NOT ('.repeat(levels)}name:a${')'.repeat(levels)}`;
      expect(() => parseUserQuery(nested(32))).not.toThrow();
      expect(rejection(nested(33)).message).toBe('q nests deeper than 32 levels');
    });
  });
});

describe('parseUserSort', () => {
  it('reads field:1 as ascending and field:-1 as descending', () => {
    expect(parseUserSort('created_at:1')).toEqual({ field: 'created_at', direction: 1 });
    expect(parseUserSort('email:-1')).toEqual({ field: 'email', direction: -1 });
  });

  it('refuses another shape, an unknown field, or one that is not a root attribute', () => {
    for (const [sort, message] of [
      ['created_at', 'sort must look like "created_at:1" or "created_at:-1"'],
      ['created_at:0', 'sort must look like "created_at:1" or "created_at:-1"'],
      ['password:1', 'cannot sort by "password"'],
      ['identities:1', 'cannot sort by "identities"'],
      ['user_metadata:1', 'cannot sort by "user_metadata"'],
    ] as const) {
      const error = rejection(sort, parseUserSort);
      expect(error.message).toBe(message);
      expect(error.field).toBe('sort');
    }
  });
});
