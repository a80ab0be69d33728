/**
 * One user: the profile's root attributes, its identities, both metadata editors, the mail sent
 * to them, block and unblock, delete (confirmed by typing the email or id), and the raw JSON.
 * Controls an operator's scopes do not allow are not shown; the API refuses them anyway.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { FailureAlert } from '../failure-alert.js';
import { Link } from '../link.js';
import { navigate } from '../navigation.js';
import { TypedConfirmation } from '../typed-confirmation.js';
import { useUserEvents } from '../user-events.js';
import { MetadataEditor } from './metadata-editor.js';
import { SetPassword } from './set-password.js';
import { UserAuthenticators } from './user-authenticators.js';
import { UserIdentities } from './user-identities.js';
import { UserMail } from './user-mail.js';

type Profile = inferRouterOutputs<AppRouter>['users']['get'];

const ROOT_ATTRIBUTES = [
  'user_id',
  'email',
  'email_verified',
  'username',
  'name',
  'nickname',
  'given_name',
  'family_name',
  'phone_number',
  'locale',
  'created_at',
  'updated_at',
  'last_login',
  'last_ip',
  'logins_count',
  'blocked',
] as const;

function show(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function UserPage({ api, scopes, failed, userId }: PageProps & { userId: string }) {
  const [user, setUser] = useState<Profile | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [revision, setRevision] = useState(0);
  const canUpdate = scopes.has('update:users');
  const canDelete = scopes.has('delete:users');

  const refuse = useCallback(
    (error: unknown) => {
      setFailure(describeFailure(error));
      failed(error);
    },
    [failed],
  );

  const load = useCallback(async () => {
    try {
      setUser(await api.users.get.query({ id: userId }));
      setRevision((current) => current + 1);
      setFailure(undefined);
    } catch (error) {
      refuse(error);
    }
  }, [api, userId, refuse]);

  useEffect(() => {
    void load();
  }, [load]);

  // Another operator, a login or the API changed this user: show it without a reload.
  useUserEvents(api, userId, () => void load(), failed);

  const update = async (changes: Record<string, unknown>): Promise<boolean> => {
    try {
      setUser(await api.users.update.mutate({ id: userId, ...changes }));
      setFailure(undefined);
      return true;
    } catch (error) {
      refuse(error);
      return false;
    }
  };

  if (!user) {
    return (
      <section>
        <h1>User</h1>
        {failure ? (
          <p className="error" role="alert">
            {failure.message}
          </p>
        ) : (
          <p className="status">Loading…</p>
        )}
      </section>
    );
  }

  const confirmWith = user.email ?? user.user_id ?? '';
  return (
    <section aria-labelledby="user-heading">
      <p>
        <Link href="/admin/users">← Users</Link>
      </p>
      <h1 id="user-heading">{user.name ?? user.email ?? user.user_id}</h1>
      <FailureAlert failure={failure} />
      <dl className="attributes">
        {ROOT_ATTRIBUTES.map((attribute) => (
          <div key={attribute} className="attribute">
            <dt>{attribute}</dt>
            <dd data-attribute={attribute}>{show(user[attribute])}</dd>
          </div>
        ))}
      </dl>
      {canUpdate ? (
        <div className="actions">
          <button type="button" onClick={() => update({ blocked: !user.blocked })}>
            {user.blocked ? 'Unblock user' : 'Block user'}
          </button>
        </div>
      ) : null}

      <UserIdentities api={api} userId={userId} identities={user.identities ?? []} canUpdate={canUpdate} changed={load} refuse={refuse} />

      <UserAuthenticators api={api} userId={userId} revision={revision} canUpdate={canUpdate} refuse={refuse} />

      {/* The API says when a user has no password here (an upstream identity) and what the policy wants. */}
      {canUpdate ? <SetPassword save={(password) => update({ password })} /> : null}

      <MetadataEditor
        label="user_metadata"
        value={(user.user_metadata ?? {}) as Record<string, unknown>}
        editable={canUpdate}
        save={(patch) => update({ user_metadata: patch })}
      />
      <MetadataEditor
        label="app_metadata"
        value={(user.app_metadata ?? {}) as Record<string, unknown>}
        editable={canUpdate}
        save={(patch) => update({ app_metadata: patch })}
      />

      <UserMail api={api} userId={userId} revision={revision} refuse={refuse} />

      <details className="raw">
        <summary>Raw JSON</summary>
        <pre>{JSON.stringify(user, null, 2)}</pre>
      </details>

      {canDelete ? (
        <TypedConfirmation
          id="delete"
          heading="Delete this user"
          expected={confirmWith}
          button="Delete user"
          confirm={async () => {
            try {
              await api.users.delete.mutate({ id: userId });
              navigate('/admin/users');
            } catch (error) {
              refuse(error);
            }
          }}
        />
      ) : null}
    </section>
  );
}
