/**
 * One application: its settings to edit, its secret to rotate (the new one shown once), and
 * deletion confirmed by typing its name.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import { describeKind } from '../client-presets.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';
import { navigate } from '../navigation.js';
import { SecretReveal } from '../secret-reveal.js';
import { ApplicationForm } from './application-form.js';
import { FailureMessage, useConnectionNames } from './applications.js';
import { SamlAddonEditor } from './saml-addon.js';

type Client = inferRouterOutputs<AppRouter>['clients']['get'];
type SamlAddonInput = inferRouterInputs<AppRouter>['clients']['update']['saml_addon'];

export function ApplicationPage(props: PageProps & { clientId: string }) {
  const { api, scopes, failed, managementScopes, clientId } = props;
  const [client, setClient] = useState<Client | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [secret, setSecret] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const [confirmation, setConfirmation] = useState('');
  const connections = useConnectionNames(props);

  const refuse = useCallback(
    (error: unknown) => {
      setFailure(describeFailure(error));
      failed(error);
    },
    [failed],
  );

  useEffect(() => {
    api.clients.get.query({ client_id: clientId }).then(setClient, refuse);
  }, [api, clientId, refuse]);

  if (!client) {
    return (
      <section>
        <h1>Application</h1>
        {failure ? <FailureMessage failure={failure} /> : <p className="status">Loading…</p>}
      </section>
    );
  }

  const machine = describeKind(client) === 'Machine to machine';
  const confidential = client.token_endpoint_auth_method !== 'none';
  return (
    <section aria-labelledby="application-heading">
      <p>
        <Link href="/admin/applications">← Applications</Link>
      </p>
      <h1 id="application-heading">{client.name}</h1>
      <p>
        <code>{client.client_id}</code> · {describeKind(client)}
      </p>
      <FailureMessage failure={failure} />
      {saved ? <p role="status">Saved.</p> : null}
      {secret ? <SecretReveal secret={secret} onDone={() => setSecret(undefined)} /> : null}
      {connections === undefined ? (
        <p role="status">Loading connections…</p>
      ) : (
        <ApplicationForm
          key={JSON.stringify(client)}
          initial={{
            name: client.name,
            redirect_uris: client.redirect_uris,
            post_logout_redirect_uris: client.post_logout_redirect_uris,
            connections: client.connections,
            id_token_signed_response_alg: client.id_token_signed_response_alg as 'RS256' | 'ES256' | 'HS256',
            is_first_party: client.is_first_party,
            mfa_policy: client.mfa_policy ?? null,
            management_scopes: managementScopes.filter((scope) => client.management_scopes.includes(scope)),
          }}
          machine={machine}
          connections={connections}
          scopes={{ all: managementScopes, held: scopes }}
          submitLabel="Save changes"
          disabled={!scopes.has('update:clients')}
          onSubmit={async (fields) => {
            try {
              setClient(
                await api.clients.update.mutate({
                  client_id: clientId,
                  name: fields.name,
                  ...(machine
                    ? { management_scopes: fields.management_scopes }
                    : {
                        redirect_uris: fields.redirect_uris,
                        post_logout_redirect_uris: fields.post_logout_redirect_uris,
                        connections: fields.connections,
                        id_token_signed_response_alg: fields.id_token_signed_response_alg,
                        is_first_party: fields.is_first_party,
                        mfa_policy: fields.mfa_policy,
                      }),
                }),
              );
              setFailure(undefined);
              setSaved(true);
            } catch (error) {
              setSaved(false);
              refuse(error);
            }
          }}
        />
      )}
      {machine ? null : (
        <SamlAddonEditor
          key={JSON.stringify(client.saml_addon ?? null)}
          value={client.saml_addon}
          editable={scopes.has('update:clients')}
          save={async (addon) => {
            try {
              // The API checks the add-on against its schema and names the field at fault.
              setClient(await api.clients.update.mutate({ client_id: clientId, saml_addon: addon as SamlAddonInput }));
              setFailure(undefined);
              setSaved(true);
            } catch (error) {
              setSaved(false);
              refuse(error);
            }
          }}
        />
      )}
      {confidential && scopes.has('update:clients') ? (
        <div className="actions">
          <button
            type="button"
            onClick={async () => {
              try {
                const rotated = await api.clients.rotateSecret.mutate({ client_id: clientId });
                setSecret(rotated.client_secret);
              } catch (error) {
                refuse(error);
              }
            }}
          >
            Rotate secret
          </button>
        </div>
      ) : null}
      {scopes.has('delete:clients') ? (
        <section className="danger" aria-labelledby="delete-application-heading">
          <h2 id="delete-application-heading">Delete this application</h2>
          <label htmlFor="delete-application-confirmation">
            Type <strong>{client.name}</strong> to confirm
          </label>
          <input
            id="delete-application-confirmation"
            value={confirmation}
            autoComplete="off"
            onChange={(event) => setConfirmation(event.target.value)}
          />
          <button
            type="button"
            disabled={confirmation !== client.name}
            onClick={async () => {
              try {
                await api.clients.delete.mutate({ client_id: clientId });
                navigate('/admin/applications');
              } catch (error) {
                refuse(error);
              }
            }}
          >
            Delete application
          </button>
        </section>
      ) : null}
    </section>
  );
}
