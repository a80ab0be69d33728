/**
 * The console's frame: who is signed in, the pages their scopes open, and the page at the
 * current path. A call refused as UNAUTHORIZED (the token expired) sends the operator back
 * through the login page, which returns them here.
 */
import { useCallback, useMemo } from 'react';
import { createApi, isSignedOut } from './api.js';
import type { Session } from './auth.js';
import { Link } from './link.js';
import { usePath } from './navigation.js';
import { UserPage } from './pages/user.js';
import { UsersPage } from './pages/users.js';

export interface PageProps {
  api: ReturnType<typeof createApi>;
  scopes: ReadonlySet<string>;
  /** Every failed call goes through here, so an expired session is noticed wherever it happens. */
  failed: (error: unknown) => void;
}

const USER_PATH = /^\/admin\/users\/([^/?]+)/;

function CurrentPage({ path, props }: { path: string; props: PageProps }) {
  const user = USER_PATH.exec(path);
  if (user?.[1]) return <UserPage key={user[1]} {...props} userId={decodeURIComponent(user[1])} />;
  return <UsersPage {...props} />;
}

export function Console({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const api = useMemo(() => createApi(() => session.accessToken), [session]);
  const failed = useCallback(
    (error: unknown) => {
      if (isSignedOut(error) || Date.now() >= session.expiresAt) onSignedOut();
    },
    [session, onSignedOut],
  );
  const props: PageProps = useMemo(() => ({ api, scopes: session.scopes, failed }), [api, session, failed]);

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
        <CurrentPage path={path} props={props} />
      </main>
    </div>
  );
}
