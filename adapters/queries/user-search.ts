/**
 * The queries of users.list: offset pages and keyset (checkpoint) pages pick the ids with the
 * compiled WHERE clause, and one more query loads those users with their identities.
 */
import { DatabaseError, QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import { toConnectionRecord, toIdentityRecord, toUserRecord, type UserWithIdentities } from './records.js';
import { decodeCursor, encodeCursor } from './search-cursor.js';
import type { UserQuery, UserSort } from './user-query-tree.js';
import { Binds, sortColumn, whereClause } from './user-search-sql.js';

/** What searchCheckpoint throws for a `from` it did not issue: callers catch it with the queries. */
export { InvalidCursorError } from './search-cursor.js';

export interface PageRequest {
  query?: UserQuery;
  sort?: UserSort;
  page: number;
  perPage: number;
  includeTotals: boolean;
}

/** How many users, in created_at order, a metadata prefix search reads before it turns to the index. */
const WALKED_ROWS = 5_000;

export interface PageResult {
  rows: UserWithIdentities[];
  /** Present when includeTotals was asked. */
  total?: number;
  /** Present when total is the planner's estimate rather than a count: the matches exceed exactTotalLimit. */
  totalEstimated?: true;
}

export interface CheckpointRequest {
  query?: UserQuery;
  from?: string;
  take: number;
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

export interface SearchOptions {
  /** Totals up to this many matches are counted; a larger one is estimated (SEARCH_EXACT_TOTAL_LIMIT). */
  readonly exactTotalLimit: number;
}

export function createUserSearchQueries(models: Models, { exactTotalLimit }: SearchOptions) {
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

  /**
   * Counts the matches up to exactTotalLimit, which costs what reading that many index entries
   * does; past it, counting every match would read millions of rows for seconds, so the total
   * is the planner's estimate of the matches, never less than the number already counted.
   */
  async function countTotal(where: string, values: unknown[]): Promise<{ total: number; totalEstimated?: true }> {
    const [counted] = await select<{ total: number }>(
      `SELECT count(*)::int AS total FROM (SELECT FROM users u WHERE ${where} LIMIT ${exactTotalLimit + 1}) AS capped`,
      values,
    );
    const total = counted?.total ?? 0;
    if (total <= exactTotalLimit) return { total };
    const [explained] = await select<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
      `EXPLAIN (FORMAT JSON) SELECT FROM users u WHERE ${where}`,
      values,
    );
    const estimate = Math.round(explained?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
    return { total: Math.max(total, estimate), totalEstimated: true };
  }

  return {
    /** An offset page in `sort` order (created_at by default), id breaking ties so pages never overlap. */
    async searchPage(request: PageRequest): Promise<PageResult> {
      const binds = new Binds();
      const where = request.query ? whereClause(request.query, binds) : 'TRUE';
      const whereValues = [...binds.values];
      const direction = request.sort?.direction === -1 ? 'DESC' : 'ASC';
      const order = `${sortColumn(request.sort?.field ?? 'created_at')} ${direction}, u.id ${direction}`;
      const page = `LIMIT ${binds.add(request.perPage)} OFFSET ${binds.add(request.page * request.perPage)}`;
      const byCreation = (request.sort?.field ?? 'created_at') === 'created_at';
      const pick = async (): Promise<Array<{ id: string }>> => {
        if (!binds.usesTermsIndex || !byCreation) {
          return select<{ id: string }>(`SELECT u.id FROM users u WHERE ${where} ORDER BY ${order} ${page}`, binds.values);
        }
        // PostgreSQL misjudges how many users a metadata prefix matches, and may walk created_at
        // until the page fills: the whole table when few match. So the first users in order are
        // tried (exact when they hold the page), then the matches are found through the terms
        // index alone and sorted.
        const walked = await select<{ id: string }>(
          `SELECT u.id FROM (SELECT * FROM users u ORDER BY ${order} LIMIT ${WALKED_ROWS}) u WHERE ${where} ORDER BY ${order} ${page}`,
          binds.values,
        );
        if (walked.length === request.perPage) return walked;
        return select<{ id: string }>(
          `WITH u AS MATERIALIZED (SELECT u.id, u.created_at FROM users u WHERE ${where}) SELECT u.id FROM u ORDER BY ${order} ${page}`,
          binds.values,
        );
      };
      const [ids, total] = await Promise.all([pick(), request.includeTotals ? countTotal(where, whereValues) : undefined]);
      const rows = await load(ids.map((row) => row.id));
      return total ? { rows, ...total } : { rows };
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
