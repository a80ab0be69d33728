/**
 * The console's frame: who is signed in, the pages their scopes open, and the page at the
 * current path. A call refused as UNAUTHORIZED (the token expired) sends the operator back
 * through the login page, which returns them here.
 */
import { useMemo } from 'react';
import { createApi, isSignedOut } from './api.js';
import type { Session } from './auth.js';
import { Link } from './link.js';
import { usePath } from './navigation.js';
import { UsersPage } from './pages/users.js';

export interface PageProps {
  api: ReturnType<typeof createApi>;
  scopes: ReadonlySet<string>;
  /** Every failed call goes through here, so an expired session is noticed wherever it happens. */
  failed: (error: unknown) => void;
}

export function Console({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const api = useMemo(() => createApi(() => session.accessToken), [session]);
  const failed = (error: unknown) => {
    if (isSignedOut(error) || Date.now() >= session.expiresAt) onSignedOut();
  };
  const props: PageProps = { api, scopes: session.scopes, failed };

  return (
    <div className="console">
      <header>
        <Link className="brand" href="/admin/">
          Tessera
        </Link>
        <nav aria-label="Pages">
          <Link href="/admin/users" aria-current={path.startsWith('/admin/users') || path === '/admin/' ? 'page' : undefined}>
            Users
          </Link>
        </nav>
        <span className="operator">Signed in as {session.subject}</span>
      </header>
      <main>
        <UsersPage {...props} />
      </main>
    </div>
  );
}
