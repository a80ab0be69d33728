/**
 * SQL for users.list: a UserQuery becomes a parameterized WHERE clause over users (every value
 * a bind parameter, every identifier from the tables below); offset pages and keyset
 * (checkpoint) pages pick the ids, and one more query loads those users with identities.
 */
import { DatabaseError, QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import { toConnectionRecord, toIdentityRecord, toUserRecord, type UserWithIdentities } from './records.js';
import type { Bound, FieldRef, RootField, UserQuery, UserSort } from './user-query-tree.js';

export interface PageRequest {
  query?: UserQuery;
  sort?: UserSort;
  page: number;
  perPage: number;
  includeTotals: boolean;
}

export interface CheckpointRequest {
  query?: UserQuery;
  from?: string;
  take: number;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('from is not a cursor this server returned');
  }
}

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
class Binds {
  readonly values: unknown[] = [];
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

function metadataCondition(node: Extract<UserQuery, { field: FieldRef }>, binds: Binds): string {
  const document = lookup(METADATA_COLUMNS, node.field.name);
  // Bound only where used: PostgreSQL cannot type a parameter the statement never mentions.
  const path = () => binds.add(node.field.path, '::text[]');
  switch (node.kind) {
    case 'exists':
      return `${document} #> ${path()} IS NOT NULL`;
    case 'match': {
      if (node.prefix) return `${document} #>> ${path()} LIKE ${binds.add(`${escapeLike(String(node.value))}%`)}`;
      // Containment is what the jsonb_path_ops GIN index answers; the array form lets
      // `roles:admin` find {"roles": ["admin", "editor"]} as Lucene finds a many-valued field.
      const scalar = binds.add(JSON.stringify(nest(node.field.path, node.value)), '::jsonb');
      const member = binds.add(JSON.stringify(nest(node.field.path, [node.value])), '::jsonb');
      return `(${document} @> ${scalar} OR ${document} @> ${member})`;
    }
    case 'range': {
      const at = path();
      const numeric = typeof (node.min ?? node.max)?.value === 'number';
      const [type, extract, cast] = numeric ? ['number', `(${document} #> ${at})::numeric`, '::numeric'] : ['string', `${document} #>> ${at}`, ''];
      // CASE, not AND: SQL may evaluate AND's operands in any order, and a cast would fail.
      const typed = `CASE WHEN jsonb_typeof(${document} #> ${at}) = '${type}' THEN ${extract} END`;
      return comparisons(typed, node.min, node.max, (bound) => binds.add(bound.value, cast));
    }
  }
}

/** The WHERE clause; NOT treats an unknown (NULL) comparison as false, as Lucene does a missing field. */
function whereClause(query: UserQuery, binds: Binds): string {
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

interface CheckpointPosition {
  /** created_at to the microsecond, as PostgreSQL keeps it: a millisecond Date would repeat rows. */
  createdAt: string;
  id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function encodeCursor(position: CheckpointPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

function decodeCursor(cursor: string): CheckpointPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const [createdAt, id] = Array.isArray(decoded) && decoded.length === 2 ? (decoded as unknown[]) : [];
  if (typeof createdAt !== 'string' || !CURSOR_TIME.test(createdAt) || typeof id !== 'string' || id === '') {
    throw new InvalidCursorError();
  }
  // A real instant reads back the same; Date would roll 2024-02-30 over to March.
  const instant = new Date(createdAt);
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) {
    throw new InvalidCursorError();
  }
  return { createdAt, id };
}

/** PostgreSQL cancelled the search at the statement timeout (SQLSTATE 57014, query_canceled). */
export class SearchTimeoutError extends Error {
  override name = 'SearchTimeoutError';
  constructor() {
    super('the search took too long and was cancelled');
  }
}

function isQueryCanceled(error: unknown): boolean {
  return error instanceof DatabaseError && (error.parent as { code?: string }).code === '57014';
}

export function createUserSearchQueries(models: Models) {
  const { sequelize, User, Identity, Connection } = models;

  const select = <Row extends object>(sql: string, values: unknown[]) =>
    sequelize.query<Row>(sql, { bind: values, type: QueryTypes.SELECT }).catch((error: unknown) => {
      throw isQueryCanceled(error) ? new SearchTimeoutError() : error;
    });

  /** The users with these ids, with identities and connections, in the ids' order, in one query. */
  async function load(ids: readonly string[]): Promise<UserWithIdentities[]> {
    if (ids.length === 0) return [];
    const users = await User.findAll({
      where: { id: [...ids] },
      include: [{ model: Identity, as: 'identities', include: [{ model: Connection, as: 'connection' }] }],
    });
    const byId = new Map(users.map((user) => [user.id, user]));
    // A user deleted between the two queries is simply left out.
    return ids.flatMap((id) => {
      const user = byId.get(id);
      if (!user) return [];
      // A profile names each identity's connection and reads nothing else of it: options stay as stored.
      const identities = (user.identities ?? []).map((identity) =>
        toIdentityRecord(identity, identity.connection && toConnectionRecord(identity.connection, identity.connection.options)),
      );
      return [{ user: toUserRecord(user), identities }];
    });
  }

  return {
    /** An offset page in `sort` order (created_at by default), id breaking ties so pages never overlap. */
    async searchPage(request: PageRequest): Promise<{ rows: UserWithIdentities[]; total?: number }> {
      const binds = new Binds();
      const where = request.query ? whereClause(request.query, binds) : 'TRUE';
      const whereValues = [...binds.values];
      const direction = request.sort?.direction === -1 ? 'DESC' : 'ASC';
      const order = `${lookup(ROOT_COLUMNS, request.sort?.field ?? 'created_at')} ${direction}, u.id ${direction}`;
      const page = `LIMIT ${binds.add(request.perPage)} OFFSET ${binds.add(request.page * request.perPage)}`;
      const [ids, totals] = await Promise.all([
        select<{ id: string }>(`SELECT u.id FROM users u WHERE ${where} ORDER BY ${order} ${page}`, binds.values),
        request.includeTotals ? select<{ total: number }>(`SELECT count(*)::int AS total FROM users u WHERE ${where}`, whereValues) : undefined,
      ]);
      const rows = await load(ids.map((row) => row.id));
      return totals ? { rows, total: totals[0]?.total ?? 0 } : { rows };
    },

    /**
     * A keyset page in (created_at, id) order after the `from` cursor: as fast deep in a million
     * users as on the first page, and users created meanwhile sort after every cursor.
     */
    async searchCheckpoint(request: CheckpointRequest): Promise<{ rows: UserWithIdentities[]; next?: string }> {
      const binds = new Binds();
      const conditions = [request.query ? whereClause(request.query, binds) : 'TRUE'];
      if (request.from !== undefined) {
        const after = decodeCursor(request.from);
        conditions.push(`(u.created_at, u.id) > (${binds.add(after.createdAt, '::timestamptz')}, ${binds.add(after.id)})`);
      }
      // One row past the page says whether another page exists.
      const limit = binds.add(request.take + 1);
      const found = await select<{ id: string; created_at: string }>(
        `SELECT u.id, to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at
           FROM users u WHERE ${conditions.join(' AND ')}
           ORDER BY u.created_at, u.id LIMIT ${limit}`,
        binds.values,
      );
      const page = found.slice(0, request.take);
      const last = page.at(-1);
      const rows = await load(page.map((row) => row.id));
      return found.length > request.take && last ? { rows, next: encodeCursor({ createdAt: last.created_at, id: last.id }) } : { rows };
    },
  };
}

export type UserSearchQueries = ReturnType<typeof createUserSearchQueries>;
