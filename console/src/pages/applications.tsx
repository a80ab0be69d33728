/**
 * Applications: every client with its kind, and creating one from a preset (regular web, SPA,
 * native, machine to machine). The secret of a new confidential client is shown once.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import { describeKind, PRESETS, type Preset } from '../client-presets.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';
import { SecretReveal } from '../secret-reveal.js';
import { ApplicationForm } from './application-form.js';

type ClientList = inferRouterOutputs<AppRouter>['clients']['list'];

export function FailureMessage({ failure }: { failure: ApiFailure | undefined }) {
  if (!failure) return null;
  return (
    <p className="error" role="alert">
      {failure.field ? `${failure.field}: ` : ''}
      {failure.message}
    </p>
  );
}

/**
 * The connection names an application form offers; undefined until they have loaded. A form shown
 * before would submit its connections as none, and create (or save) an application nobody can log in to.
 */
export function useConnectionNames({ api, scopes, failed }: PageProps): string[] | undefined {
  const readable = scopes.has('read:connections');
  const [names, setNames] = useState<string[] | undefined>(readable ? undefined : []);
  useEffect(() => {
    if (!readable) return;
    api.connections.list.query({ per_page: 100 }).then(
      (page) => setNames(page.connections.map((connection) => connection.name)),
      (error: unknown) => failed(error),
    );
  }, [api, readable, failed]);
  return names;
}

export function ApplicationsPage(props: PageProps) {
  const { api, scopes, failed, managementScopes } = props;
  const [clients, setClients] = useState<ClientList | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [preset, setPreset] = useState<Preset | undefined>();
  const [secret, setSecret] = useState<{ clientId: string; secret: string } | undefined>();
  const [saving, setSaving] = useState(false);
  const connections = useConnectionNames(props);

  const load = useCallback(async () => {
    try {
      setClients(await api.clients.list.query({ per_page: 100 }));
    } catch (error) {
      setFailure(describeFailure(error));
      failed(error);
    }
  }, [api, failed]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="applications-heading">
      <h1 id="applications-heading">Applications</h1>
      <FailureMessage failure={failure} />
      {secret ? (
        <SecretReveal
          secret={secret.secret}
          onDone={() => {
            setSecret(undefined);
          }}
        />
      ) : null}
      {scopes.has('create:clients') ? (
        <details className="create" open={preset !== undefined}>
          <summary>Create an application</summary>
          <fieldset>
            <legend>Kind</legend>
            {PRESETS.map((candidate) => (
              <label key={candidate.kind} className="choice">
                <input type="radio" name="kind" checked={preset?.kind === candidate.kind} onChange={() => setPreset(candidate)} />{' '}
                <strong>{candidate.label}</strong>: {candidate.description}
              </label>
            ))}
          </fieldset>
          {preset && connections === undefined ? <p role="status">Loading connections…</p> : null}
          {preset && connections !== undefined ? (
            <ApplicationForm
              key={preset.kind}
              initial={{
                name: '',
                redirect_uris: [],
                post_logout_redirect_uris: [],
                connections,
                id_token_signed_response_alg: 'RS256',
                is_first_party: true,
                mfa_policy: null,
                management_scopes: [],
              }}
              machine={preset.kind === 'machine'}
              connections={connections}
              scopes={{ all: managementScopes, held: scopes }}
              submitLabel="Create application"
              disabled={saving}
              onSubmit={async (fields) => {
                setSaving(true);
                try {
                  const machine = preset.kind === 'machine';
                  const created = await api.clients.create.mutate({
                    name: fields.name,
                    grant_types: preset.grant_types,
                    token_endpoint_auth_method: preset.token_endpoint_auth_method,
                    ...(machine
                      ? { management_scopes: fields.management_scopes, connections: [] }
                      : {
                          redirect_uris: fields.redirect_uris,
                          post_logout_redirect_uris: fields.post_logout_redirect_uris,
                          connections: fields.connections,
                          id_token_signed_response_alg: fields.id_token_signed_response_alg,
                          is_first_party: fields.is_first_party,
                          ...(fields.mfa_policy ? { mfa_policy: fields.mfa_policy } : {}),
                        }),
                  });
                  setFailure(undefined);
                  setPreset(undefined);
                  if (created.client_secret) setSecret({ clientId: created.client_id, secret: created.client_secret });
                  await load();
                } catch (error) {
                  setFailure(describeFailure(error));
                  failed(error);
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
              <th scope="col">Client id</th>
              <th scope="col">Kind</th>
              <th scope="col">Connections</th>
            </tr>
          </thead>
          <tbody>
            {(clients?.clients ?? []).map((client) => (
              <tr key={client.client_id}>
                <td>
                  <Link href={`/admin/applications/${encodeURIComponent(client.client_id)}`}>{client.name}</Link>
                </td>
                <td>
                  <code>{client.client_id}</code>
                </td>
                <td>{describeKind(client)}</td>
                <td>{client.connections.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
