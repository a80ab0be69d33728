/**
 * Users: a search box taking the `q` language (with examples, and the parse error shown where
 * the operator typed), a sort, and paging. Without a sort the pages are checkpoint pages, which
 * stay fast however deep; a sort uses offset pages, as Auth0's does.
 */

import type { inferRouterOutputs } from '@trpc/server';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';

type UserList = inferRouterOutputs<AppRouter>['users']['list'];
type Profile = UserList['users'][number];

const PAGE_SIZE = 25;

const EXAMPLES: ReadonlyArray<{ q: string; meaning: string }> = [
  { q: 'email:"jane@example.com"', meaning: 'one address' },
  { q: 'name:jan*', meaning: 'names starting with “jan”' },
  { q: 'identities.connection:"Username-Password" AND blocked:true', meaning: 'blocked users of a connection' },
  { q: 'user_metadata.plan:pro', meaning: 'a metadata field' },
  { q: 'logins_count:[10 TO *]', meaning: 'ten logins or more' },
];

const SORTS: ReadonlyArray<{ value: string; label: string }> = [
  { value: '', label: 'User id (fastest paging)' },
  { value: 'last_login:-1', label: 'Last login, newest first' },
  { value: 'created_at:-1', label: 'Created, newest first' },
  { value: 'name:1', label: 'Name, A to Z' },
  { value: 'email:1', label: 'Email, A to Z' },
  { value: 'logins_count:-1', label: 'Logins, most first' },
];

interface Query {
  q: string;
  sort: string;
  /** The checkpoint this page starts at (unsorted), or the offset page (sorted). */
  from: string | undefined;
  page: number;
}

function describeDate(value: string | undefined): string {
  return value ? new Date(value).toLocaleString() : '—';
}

export function UsersPage({ api, failed }: PageProps) {
  const [draft, setDraft] = useState({ q: '', sort: '' });
  const [query, setQuery] = useState<Query>({ q: '', sort: '', from: undefined, page: 0 });
  const [previous, setPrevious] = useState<Array<string | undefined>>([]);
  const [result, setResult] = useState<UserList | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [loading, setLoading] = useState(false);

  const load = useCallback(
    async (current: Query) => {
      setLoading(true);
      try {
        const input = current.sort
          ? { page: current.page, per_page: PAGE_SIZE, sort: current.sort, include_totals: true, ...(current.q ? { q: current.q } : {}) }
          : { take: PAGE_SIZE, ...(current.from ? { from: current.from } : {}), ...(current.q ? { q: current.q } : {}) };
        setResult(await api.users.list.query(input));
        setFailure(undefined);
      } catch (error) {
        setFailure(describeFailure(error));
        failed(error);
      } finally {
        setLoading(false);
      }
    },
    [api, failed],
  );

  useEffect(() => {
    void load(query);
  }, [load, query]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    setPrevious([]);
    setQuery({ q: draft.q.trim(), sort: draft.sort, from: undefined, page: 0 });
  };

  const next = result && 'next' in result ? result.next : undefined;
  const total = result && 'total' in result ? result.total : undefined;
  // Past SEARCH_EXACT_TOTAL_LIMIT matches the API estimates the total rather than count them all.
  const estimated = result !== undefined && 'total_estimated' in result && result.total_estimated === true;
  const hasNextOffsetPage = query.sort !== '' && result !== undefined && result.users.length === PAGE_SIZE;
  const queryFailure = failure?.field === 'q' ? failure : undefined;

  return (
    <section aria-labelledby="users-heading">
      <h1 id="users-heading">Users</h1>
      <search>
        <form className="search" onSubmit={search}>
          <label htmlFor="user-query">Search</label>
          <input
            id="user-query"
            name="q"
            type="search"
            value={draft.q}
            spellCheck={false}
            aria-invalid={queryFailure ? true : undefined}
            aria-describedby={queryFailure ? 'user-query-error user-query-examples' : 'user-query-examples'}
            onChange={(event) => setDraft({ ...draft, q: event.target.value })}
          />
          <label htmlFor="user-sort">Sort</label>
          <select id="user-sort" value={draft.sort} onChange={(event) => setDraft({ ...draft, sort: event.target.value })}>
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
          <button type="submit">Search</button>
        </form>
      </search>
      {queryFailure ? (
        <p id="user-query-error" className="error" role="alert">
          {queryFailure.message}
        </p>
      ) : null}
      <details id="user-query-examples" className="examples">
        <summary>Query examples</summary>
        <ul>
          {EXAMPLES.map((example) => (
            <li key={example.q}>
              <button type="button" className="link" onClick={() => setDraft({ ...draft, q: example.q })}>
                <code>{example.q}</code>
              </button>{' '}
              {example.meaning}
            </li>
          ))}
        </ul>
      </details>
      {failure && !queryFailure ? (
        <p className="error" role="alert">
          {failure.message}
        </p>
      ) : null}
      <p className="status" aria-live="polite">
        {loading
          ? 'Loading…'
          : result
            ? `${total !== undefined ? `${estimated ? 'about ' : ''}${total.toLocaleString()} users` : `${result.users.length} shown`}`
            : ''}
      </p>
      <div className="table-scroll">
        <table className="users">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Picture</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Connection</th>
              <th scope="col">Last login</th>
              <th scope="col">Logins</th>
              <th scope="col">Blocked</th>
            </tr>
          </thead>
          <tbody>
            {(result?.users ?? []).map((user: Profile) => (
              <tr key={user.user_id ?? ''}>
                <td>{user.picture ? <img src={user.picture} alt="" width={32} height={32} referrerPolicy="no-referrer" /> : null}</td>
                <td>
                  <Link href={`/admin/users/${encodeURIComponent(user.user_id ?? '')}`}>{user.name ?? user.nickname ?? user.user_id}</Link>
                </td>
                <td>{user.email ?? '—'}</td>
                <td>{user.identities?.[0]?.connection ?? '—'}</td>
                <td>{describeDate(user.last_login)}</td>
                <td>{user.logins_count}</td>
                <td>{user.blocked ? 'Blocked' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages of users">
        <button
          type="button"
          disabled={query.sort ? query.page === 0 : previous.length === 0}
          onClick={() => {
            if (query.sort) setQuery({ ...query, page: query.page - 1 });
            else {
              setPrevious(previous.slice(0, -1));
              setQuery({ ...query, from: previous.at(-1) });
            }
          }}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={query.sort ? !hasNextOffsetPage : !next}
          onClick={() => {
            if (query.sort) setQuery({ ...query, page: query.page + 1 });
            else if (next) {
              setPrevious([...previous, query.from]);
              setQuery({ ...query, from: next });
            }
          }}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
