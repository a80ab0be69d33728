/**
 * The console's frame: who is signed in, the pages their scopes open, and the page at the
 * current path. A call refused as UNAUTHORIZED (the token expired) sends the operator back
 * through the login page, which returns them here.
 */
import { useCallback, useMemo } from 'react';
import type { ManagementScope } from '../../server/oidc/management-api.js';
import { createApi, isSignedOut } from './api.js';
import type { ConsoleSettings, Session } from './auth.js';
import { Link } from './link.js';
import { usePath } from './navigation.js';
import { ApplicationPage } from './pages/application.js';
import { ApplicationsPage } from './pages/applications.js';
import { ConnectionPage } from './pages/connection.js';
import { ConnectionsPage } from './pages/connections.js';
import { EventsPage } from './pages/events.js';
import { KeysPage } from './pages/keys.js';
import { UserPage } from './pages/user.js';
import { UsersPage } from './pages/users.js';

export interface PageProps {
  api: ReturnType<typeof createApi>;
  /** The scopes the operator's token carries. */
  scopes: ReadonlySet<string>;
  /** Every management scope there is, as the server listed them. */
  managementScopes: readonly ManagementScope[];
  /** Every failed call goes through here, so an expired session is noticed wherever it happens. */
  failed: (error: unknown) => void;
}

const USER_PATH = /^\/admin\/users\/([^/?]+)/;
const APPLICATION_PATH = /^\/admin\/applications\/([^/?]+)/;
const CONNECTION_PATH = /^\/admin\/connections\/([^/?]+)/;

function CurrentPage({ path, props }: { path: string; props: PageProps }) {
  const user = USER_PATH.exec(path);
  if (user?.[1]) return <UserPage key={user[1]} {...props} userId={decodeURIComponent(user[1])} />;
  const application = APPLICATION_PATH.exec(path);
  if (application?.[1]) return <ApplicationPage key={application[1]} {...props} clientId={decodeURIComponent(application[1])} />;
  if (path.startsWith('/admin/applications')) return <ApplicationsPage {...props} />;
  const connection = CONNECTION_PATH.exec(path);
  if (connection?.[1]) return <ConnectionPage key={connection[1]} {...props} connectionId={decodeURIComponent(connection[1])} />;
  if (path.startsWith('/admin/connections')) return <ConnectionsPage {...props} />;
  if (path.startsWith('/admin/keys')) return <KeysPage {...props} />;
  if (path.startsWith('/admin/events')) return <EventsPage {...props} />;
  return <UsersPage {...props} />;
}

export function Console({ settings, session, onSignedOut }: { settings: ConsoleSettings; session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const api = useMemo(() => createApi(() => session.accessToken), [session]);
  const failed = useCallback(
    (error: unknown) => {
      if (isSignedOut(error) || Date.now() >= session.expiresAt) onSignedOut();
    },
    [session, onSignedOut],
  );
  const props: PageProps = useMemo(
    () => ({ api, scopes: session.scopes, managementScopes: settings.scopes, failed }),
    [api, session, settings, failed],
  );

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
          {props.scopes.has('read:clients') ? (
            <Link href="/admin/applications" aria-current={path.startsWith('/admin/applications') ? 'page' : undefined}>
              Applications
            </Link>
          ) : null}
          {props.scopes.has('read:connections') ? (
            <Link href="/admin/connections" aria-current={path.startsWith('/admin/connections') ? 'page' : undefined}>
              Connections
            </Link>
          ) : null}
          {props.scopes.has('read:signing_keys') ? (
            <Link href="/admin/keys" aria-current={path.startsWith('/admin/keys') ? 'page' : undefined}>
              Signing keys
            </Link>
          ) : null}
          <Link href="/admin/events" aria-current={path.startsWith('/admin/events') ? 'page' : undefined}>
            Live events
          </Link>
          {/* A page of its own, not the console's: the Management API v2 explorer, in a new tab beside the console. */}
          <a href={`${settings.issuer}/api/v2/docs`} target="_blank" rel="noopener">
            API explorer
          </a>
        </nav>
        <span className="operator">Signed in as {session.displayName}</span>
      </header>
      <main>
        <CurrentPage path={path} props={props} />
      </main>
    </div>
  );
}
