/**
 * A user's second factors, from users.authenticators.list: kind, name, when added and last
 * used. An operator with update:users removes one, or resets them all (after a confirmation),
 * as when the person lost their phone: where the policy asks for a factor, they enrol again at
 * their next login.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import type { Api } from '../api.js';
import { useRevisionedRead } from '../revisioned-read.js';
import { shownTime as when } from '../shown-time.js';

type Authenticator = inferRouterOutputs<AppRouter>['users']['authenticators']['list'][number];

interface Props {
  api: Api;
  userId: string;
  /** Bumped by the user's page when the user changed: a factor added or removed elsewhere is one such change. */
  revision: number;
  canUpdate: boolean;
  refuse: (error: unknown) => void;
}

const KINDS: Record<Authenticator['type'], string> = {
  totp: 'Authenticator app',
  webauthn: 'Passkey',
  'recovery-code': 'Recovery codes',
};

export function UserAuthenticators({ api, userId, revision, canUpdate, refuse }: Props) {
  const read = useCallback(() => api.users.authenticators.list.query({ id: userId }), [api, userId]);
  const [factors, load] = useRevisionedRead(read, revision, refuse);
  const [confirming, setConfirming] = useState(false);

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setConfirming(false);
    } catch (error) {
      refuse(error);
    }
    await load();
  };

  return (
    <section aria-labelledby="authenticators-heading">
      <h2 id="authenticators-heading">Multi-factor authentication</h2>
      {factors === undefined ? <p className="status">Loading…</p> : null}
      {factors?.length === 0 ? <p className="status">No second factor enrolled.</p> : null}
      {factors?.length ? (
        <div className="table-scroll">
          <table className="authenticators">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                {canUpdate ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {factors.map((factor) => (
                <tr key={factor.id} data-authenticator={factor.id} data-type={factor.type}>
                  <td>{KINDS[factor.type]}</td>
                  <td>{factor.name}</td>
                  <td>{when(factor.created_at)}</td>
                  <td>{when(factor.last_used_at)}</td>
                  {canUpdate ? (
                    <td>
                      <button
                        type="button"
                        aria-label={`Remove ${factor.name}`}
                        onClick={() => void act(() => api.users.authenticators.delete.mutate({ id: userId, authenticator_id: factor.id }))}
                      >
                        Remove
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {canUpdate && factors?.length ? (
        <div className="actions">
          {confirming ? (
            <>
              <span role="status">Remove every factor of this user? They enrol again where a second factor is required.</span>
              <button type="button" onClick={() => void act(() => api.users.resetMfa.mutate({ id: userId }))}>
                Yes, reset all factors
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep them
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Reset all factors…
            </button>
          )}
        </div>
      ) : null}
    </section>
  );
}
