/**
 * Signing keys: every published key with its algorithm, creation date and whether it signs
 * now; rotating makes new keys sign from the next request while the older ones stay published.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import { type ApiFailure, describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { FailureMessage } from './applications.js';

type Keys = inferRouterOutputs<AppRouter>['keys']['list'];

export function KeysPage({ api, scopes, failed }: PageProps) {
  const [keys, setKeys] = useState<Keys | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [confirming, setConfirming] = useState(false);

  const refuse = useCallback(
    (error: unknown) => {
      setFailure(describeFailure(error));
      failed(error);
    },
    [failed],
  );
  const load = useCallback(async () => {
    try {
      setKeys(await api.keys.list.query());
    } catch (error) {
      refuse(error);
    }
  }, [api, refuse]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="keys-heading">
      <h1 id="keys-heading">Signing keys</h1>
      <FailureMessage failure={failure} />
      {scopes.has('create:signing_keys') ? (
        <div className="actions">
          {confirming ? (
            <>
              <span>New keys sign from the next request; tokens signed before still verify.</span>
              <button
                type="button"
                onClick={async () => {
                  setConfirming(false);
                  try {
                    await api.keys.rotate.mutate();
                    await load();
                  } catch (error) {
                    refuse(error);
                  }
                }}
              >
                Rotate now
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Rotate keys
            </button>
          )}
        </div>
      ) : null}
      <div className="table-scroll">
        <table className="keys">
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Created</th>
              <th scope="col">Signs now</th>
            </tr>
          </thead>
          <tbody>
            {(keys ?? []).map((key) => (
              <tr key={key.kid}>
                <td>
                  <code>{key.kid}</code>
                </td>
                <td>{key.alg}</td>
                <td>{new Date(key.created_at).toLocaleString()}</td>
                <td>{key.current ? 'Yes' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
