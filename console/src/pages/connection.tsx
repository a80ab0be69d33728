/**
 * One connection: its options in the form its strategy's schema gives (secrets write-only), the
 * applications it serves, a "try" for strategies whose upstream can be reached before any login
 * (ldap, oidc), and deletion confirmed by typing its name.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';
import { navigate } from '../navigation.js';
import { FailureMessage } from './applications.js';
import { ConnectionForm } from './connection-form.js';
import { useConnectionFormData } from './connections.js';

type Connection = inferRouterOutputs<AppRouter>['connections']['get'];

export function ConnectionPage(props: PageProps & { connectionId: string }) {
  const { api, scopes, failed, connectionId } = props;
  const [connection, setConnection] = useState<Connection | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [saved, setSaved] = useState(false);
  const [check, setCheck] = useState<{ ok: boolean; message: string } | undefined>();
  const [checking, setChecking] = useState(false);
  const [confirmation, setConfirmation] = useState('');
  const { forms, applications } = useConnectionFormData(props);

  const refuse = useCallback(
    (error: unknown) => {
      setFailure(describeFailure(error));
      failed(error);
    },
    [failed],
  );

  useEffect(() => {
    api.connections.get.query({ id: connectionId }).then(setConnection, refuse);
  }, [api, connectionId, refuse]);

  const form = forms.find((candidate) => candidate.strategy === connection?.strategy);
  if (!connection || !form) {
    return (
      <section>
        <h1>Connection</h1>
        {failure ? <FailureMessage failure={failure} /> : <p className="status">Loading…</p>}
      </section>
    );
  }

  return (
    <section aria-labelledby="connection-heading">
      <p>
        <Link href="/admin/connections">← Connections</Link>
      </p>
      <h1 id="connection-heading">{connection.name}</h1>
      <p>
        <code>{connection.id}</code> · {connection.strategy}
      </p>
      <FailureMessage failure={failure} />
      {saved ? <p role="status">Saved.</p> : null}
      {form.checkable ? (
        <div className="actions">
          <button
            type="button"
            disabled={checking}
            onClick={async () => {
              setChecking(true);
              try {
                setCheck(await api.connections.check.mutate({ id: connectionId }));
              } catch (error) {
                refuse(error);
              } finally {
                setChecking(false);
              }
            }}
          >
            {checking ? 'Trying…' : 'Try the connection'}
          </button>
          {check ? (
            <p className={check.ok ? 'success' : 'error'} role="status" data-testid="connection-check">
              {check.ok ? 'Works: ' : 'Failed: '}
              {check.message}
            </p>
          ) : null}
        </div>
      ) : null}
      <ConnectionForm
        key={JSON.stringify(connection)}
        form={form}
        options={connection.options}
        editing={true}
        applications={applications}
        enabled={connection.enabled_clients}
        submitLabel="Save changes"
        disabled={!scopes.has('update:connections')}
        onInvalid={(field, message) => setFailure({ code: 'BAD_REQUEST', field, message })}
        onSubmit={async (options, enabledClients) => {
          try {
            setConnection(await api.connections.update.mutate({ id: connectionId, options, enabled_clients: enabledClients }));
            setFailure(undefined);
            setSaved(true);
          } catch (error) {
            setSaved(false);
            refuse(error);
          }
        }}
      />
      {scopes.has('delete:connections') ? (
        <section className="danger" aria-labelledby="delete-connection-heading">
          <h2 id="delete-connection-heading">Delete this connection</h2>
          <label htmlFor="delete-connection-confirmation">
            Type <strong>{connection.name}</strong> to confirm
          </label>
          <input
            id="delete-connection-confirmation"
            value={confirmation}
            autoComplete="off"
            onChange={(event) => setConfirmation(event.target.value)}
          />
          <button
            type="button"
            disabled={confirmation !== connection.name}
            onClick={async () => {
              try {
                await api.connections.delete.mutate({ id: connectionId });
                navigate('/admin/connections');
              } catch (error) {
                refuse(error);
              }
            }}
          >
            Delete connection
          </button>
        </section>
      ) : null}
    </section>
  );
}
