/**
 * Connections: every connection with its strategy and applications, and creating one of any
 * strategy with a form generated from that strategy's own option schema.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';
import { navigate } from '../navigation.js';
import { FailureMessage } from './applications.js';
import { ConnectionForm } from './connection-form.js';

type Outputs = inferRouterOutputs<AppRouter>;
export type OptionForms = Outputs['connections']['optionForms'];

/** The forms and the applications a connection page offers, loaded once. */
export function useConnectionFormData({ api, scopes, failed }: PageProps) {
  const [forms, setForms] = useState<OptionForms>([]);
  const [applications, setApplications] = useState<Array<{ client_id: string; name: string }>>([]);
  useEffect(() => {
    api.connections.optionForms.query().then(setForms, failed);
    if (scopes.has('read:clients')) {
      api.clients.list
        .query({ per_page: 100 })
        .then((page) => setApplications(page.clients.map(({ client_id, name }) => ({ client_id, name }))), failed);
    }
  }, [api, scopes, failed]);
  return { forms, applications };
}

export function ConnectionsPage(props: PageProps) {
  const { api, scopes, failed } = props;
  const [connections, setConnections] = useState<Outputs['connections']['list'] | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [strategy, setStrategy] = useState('');
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);
  const { forms, applications } = useConnectionFormData(props);
  const form = forms.find((candidate) => candidate.strategy === strategy);

  const refuse = useCallback(
    (error: unknown) => {
      setFailure(describeFailure(error));
      failed(error);
    },
    [failed],
  );

  useEffect(() => {
    api.connections.list.query({ per_page: 100 }).then(setConnections, refuse);
  }, [api, refuse]);

  return (
    <section aria-labelledby="connections-heading">
      <h1 id="connections-heading">Connections</h1>
      <FailureMessage failure={failure} />
      {scopes.has('create:connections') ? (
        <details className="create">
          <summary>Create a connection</summary>
          <form className="fields" onSubmit={(event: FormEvent) => event.preventDefault()}>
            <label htmlFor="connection-name">Name</label>
            <input id="connection-name" value={name} onChange={(event) => setName(event.target.value)} />
            <label htmlFor="connection-strategy">Strategy</label>
            <select id="connection-strategy" value={strategy} onChange={(event) => setStrategy(event.target.value)}>
              <option value="">Choose…</option>
              {forms.map((candidate) => (
                <option key={candidate.strategy}>{candidate.strategy}</option>
              ))}
            </select>
          </form>
          {form ? (
            <ConnectionForm
              key={form.strategy}
              form={form}
              options={{}}
              editing={false}
              applications={applications}
              enabled={[]}
              submitLabel="Create connection"
              disabled={saving}
              onInvalid={(field, message) => setFailure({ code: 'BAD_REQUEST', field, message })}
              onSubmit={async (options, enabledClients) => {
                setSaving(true);
                try {
                  // The options' type depends on the strategy chosen at run time; the API checks them against its schema.
                  const created = await api.connections.create.mutate({
                    name,
                    strategy: form.strategy,
                    options,
                    enabled_clients: enabledClients,
                  } as Parameters<typeof api.connections.create.mutate>[0]);
                  navigate(`/admin/connections/${encodeURIComponent(created.id)}`);
                } catch (error) {
                  refuse(error);
                } finally {
                  setSaving(false);
                }
              }}
            />
          ) : null}
        </details>
      ) : null}
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Strategy</th>
              <th scope="col">Applications</th>
            </tr>
          </thead>
          <tbody>
            {(connections?.connections ?? []).map((connection) => (
              <tr key={connection.id}>
                <td>
                  <Link href={`/admin/connections/${encodeURIComponent(connection.id)}`}>{connection.name}</Link>
                </td>
                <td>{connection.strategy}</td>
                <td>{connection.enabled_clients.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
