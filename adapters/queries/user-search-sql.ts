/**
 * The search compiler: a UserQuery becomes a parameterized WHERE clause over users `u`, every
 * value a bind parameter and every identifier from the fixed maps below, so no input of a
 * caller ever becomes SQL text.
 */
import type { Bound, FieldRef, RootField, UserQuery } from './user-query-tree.js';

const ROOT_COLUMNS: Record<RootField, string> = {
  user_id: 'u.id',
  email: 'u.email',
  email_verified: 'u.email_verified',
  username: 'u.username',
  phone_number: 'u.phone_number',
  phone_verified: 'u.phone_verified',
  name: 'u.name',
  nickname: 'u.nickname',
  given_name: 'u.given_name',
  family_name: 'u.family_name',
  picture: 'u.picture',
  locale: 'u.locale',
  created_at: 'u.created_at',
  updated_at: 'u.updated_at',
  last_login: 'u.last_login',
  last_ip: 'u.last_ip',
  logins_count: 'u.logins_count',
  blocked: 'u.blocked',
};

const IDENTITY_COLUMNS: Readonly<Record<string, string>> = {
  'identities.connection': 'c.name',
  'identities.provider': 'i.provider',
  'identities.user_id': 'i.external_id',
};

const METADATA_COLUMNS: Readonly<Record<string, string>> = {
  user_metadata: 'u.user_metadata',
  app_metadata: 'u.app_metadata',
};

// Typed so PostgreSQL compares with the column's own operators, which the indexes serve.
const CASTS: Partial<Record<FieldRef['type'], string>> = { date: '::timestamptz', integer: '::bigint' };

/** Collects bind values and hands out their `$n` placeholders. */
export class Binds {
  readonly values: unknown[] = [];
  /** Whether a condition was written for the metadata terms index (migration 0007). */
  usesTermsIndex = false;
  add(value: unknown, cast = ''): string {
    this.values.push(value instanceof Date ? value.toISOString() : value);
    return `$${this.values.length}${cast}`;
  }
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** Identifiers come only from these tables; anything else is a bug, never SQL. */
function lookup(table: Readonly<Record<string, string>>, name: string): string {
  const known = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!known) throw new Error(`no column for ${name}`);
  return known;
}

function comparisons(expression: string, min: Bound | undefined, max: Bound | undefined, value: (bound: Bound) => string): string {
  const parts = [
    min && `${expression} ${min.inclusive ? '>=' : '>'} ${value(min)}`,
    max && `${expression} ${max.inclusive ? '<=' : '<'} ${value(max)}`,
  ];
  return parts.filter(Boolean).join(' AND ');
}

/**
 * A condition on one column. Case-insensitive fields compare `lower(column)` with
 * `lower($n)`: the very expression the indexes of 0002-user-search-indexes are built on.
 */
function columnCondition(node: Extract<UserQuery, { field: FieldRef }>, binds: Binds): string {
  const raw = lookup(node.field.type === 'identity' ? IDENTITY_COLUMNS : ROOT_COLUMNS, node.field.name);
  const folded = node.field.type === 'ci-text';
  const expression = folded ? `lower(${raw})` : raw;
  const bind = (value: unknown) => {
    const placeholder = binds.add(value, CASTS[node.field.type]);
    return folded ? `lower(${placeholder})` : placeholder;
  };
  switch (node.kind) {
    case 'exists':
      return `${raw} IS NOT NULL`;
    case 'range':
      return comparisons(expression, node.min, node.max, (bound) => bind(bound.value));
    case 'match':
      return node.prefix ? `${expression} LIKE ${bind(`${escapeLike(String(node.value))}%`)}` : `${expression} = ${bind(node.value)}`;
  }
}

/** Any of the user's identities satisfies it (Lucene's reading of a many-valued field). */
function identityCondition(node: Extract<UserQuery, { field: FieldRef }>, binds: Binds): string {
  if (node.kind === 'exists') return 'EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id)';
  // Names become ids first (an InitPlan), so the planner estimates from identities'
  // statistics on connection_id rather than from a join with the handful of connections.
  const condition =
    node.field.name === 'identities.connection'
      ? `i.connection_id = ANY (ARRAY(SELECT c.id FROM connections c WHERE ${columnCondition(node, binds)}))`
      : columnCondition(node, binds);
  return `EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND ${condition})`;
}

function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** The first `length` characters, as PostgreSQL's left() counts them (code points, not UTF-16 units). */
const leftChars = (text: string, length: number) => [...text].slice(0, length).join('');

/**
 * The tsquery that finds, in the index of migration 0007, every document holding a value that
 * starts with `prefix` at `path`: its `path=value` lexemes are cut as the query is here. Inside
 * a quoted lexeme, a quote and a backslash are the two characters with a meaning.
 */
export function termsPrefixQuery(path: readonly string[], prefix: string): string {
  const lexeme = `${leftChars(path.join('.'), 100)}=${leftChars(prefix, 200)}`;
  return `'${lexeme.replace(/['\\]/g, '\\$&')}':*`;
}

/** The code points two string bounds start with alike; none when either end is open or not a string. */
function commonPrefix(min: Bound['value'] | undefined, max: Bound['value'] | undefined): string {
  if (typeof min !== 'string' || typeof max !== 'string') return '';
  const [low, high] = [[...min], [...max]];
  let length = 0;
  while (length < low.length && low[length] === high[length]) length += 1;
  return low.slice(0, length).join('');
}

function metadataCondition(node: Extract<UserQuery, { field: FieldRef }>, binds: Binds): string {
  const document = lookup(METADATA_COLUMNS, node.field.name);
  // Bound only where used: PostgreSQL cannot type a parameter the statement never mentions.
  const path = () => binds.add(node.field.path, '::text[]');
  switch (node.kind) {
    case 'exists':
      return `${document} #> ${path()} IS NOT NULL`;
    case 'match': {
      if (node.prefix) {
        const like = `${document} #>> ${path()} LIKE ${binds.add(`${escapeLike(String(node.value))}%`)}`;
        if (node.field.path.length === 0) return like;
        binds.usesTermsIndex = true;
        return `(tessera_metadata_terms(${document}) @@ ${binds.add(termsPrefixQuery(node.field.path, String(node.value)), '::tsquery')} AND ${like})`;
      }
      // Containment is what the jsonb_path_ops GIN index answers; the array form lets
      // `roles:admin` find {"roles": ["admin", "editor"]} as Lucene finds a many-valued field.
      const scalar = binds.add(JSON.stringify(nest(node.field.path, node.value)), '::jsonb');
      const member = binds.add(JSON.stringify(nest(node.field.path, [node.value])), '::jsonb');
      return `(${document} @> ${scalar} OR ${document} @> ${member})`;
    }
    case 'range': {
      const at = path();
      const numeric = typeof (node.min ?? node.max)?.value === 'number';
      // Strings compare byte by byte, as Lucene orders terms: the strings between two bounds
      // then share the bounds' common prefix, which the index of migration 0007 finds.
      const [type, extract, cast] = numeric
        ? ['number', `(${document} #> ${at})::numeric`, '::numeric']
        : ['string', `(${document} #>> ${at}) COLLATE "C"`, ''];
      // CASE, not AND: SQL may evaluate AND's operands in any order, and a cast would fail.
      const typed = `CASE WHEN jsonb_typeof(${document} #> ${at}) = '${type}' THEN ${extract} END`;
      const range = comparisons(typed, node.min, node.max, (bound) => binds.add(bound.value, cast));
      const shared = numeric ? '' : commonPrefix(node.min?.value, node.max?.value);
      if (shared === '' || node.field.path.length === 0) return range;
      binds.usesTermsIndex = true;
      return `(tessera_metadata_terms(${document}) @@ ${binds.add(termsPrefixQuery(node.field.path, shared), '::tsquery')} AND ${range})`;
    }
  }
}

/** The WHERE clause; NOT treats an unknown (NULL) comparison as false, as Lucene does a missing field. */
export function whereClause(query: UserQuery, binds: Binds): string {
  switch (query.kind) {
    case 'and':
    case 'or':
      if (query.operands.length === 0) return query.kind === 'and' ? 'TRUE' : 'FALSE';
      return `(${query.operands.map((operand) => whereClause(operand, binds)).join(query.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `((${whereClause(query.operand, binds)}) IS NOT TRUE)`;
    default:
      if (query.field.type === 'metadata') return metadataCondition(query, binds);
      if (query.field.type === 'identity') return identityCondition(query, binds);
      return columnCondition(query, binds);
  }
}

/** The column a page is sorted by. */
export const sortColumn = (field: RootField): string => lookup(ROOT_COLUMNS, field);
