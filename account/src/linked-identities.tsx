/**
 * The identities linked into the person's account, the first being the primary one (which cannot
 * be unlinked), and linking another account: a second sign-in through the login page with the
 * connection chosen here (both sign-ins must succeed; main.tsx carries this session across it).
 */
import { FailureAlert } from '../../console/src/failure-alert.js';
import type { MeSettings, PartProps, Profile } from './account.js';
import { useAttempt } from './attempt.js';

interface Props extends PartProps {
  profile: Profile;
  connections: MeSettings['connections'];
  changed: (profile: Profile) => void;
  onLink: (connection: string) => void;
}

export function LinkedIdentities({ api, refused, profile, connections, changed, onLink }: Props) {
  const { failure, attempt } = useAttempt(refused);
  const identities = profile.identities ?? [];

  const unlink = async (provider: string, userId: string) => {
    const updated = await attempt(() => api.me.unlink.mutate({ provider, user_id: userId }));
    if (updated) changed(updated);
  };

  return (
    <section id="identities" aria-labelledby="identities-heading">
      <h2 id="identities-heading">Linked accounts</h2>
      <div className="table-scroll">
        <table className="identities">
          <thead>
            <tr>
              <th scope="col">Connection</th>
              <th scope="col">Account</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {identities.map((identity, index) => (
              <tr key={`${identity.provider}|${identity.user_id}`}>
                <td>{identity.connection}</td>
                <td>
                  {identity.provider}|{identity.user_id}
                </td>
                <td>
                  {index === 0 ? (
                    <span className="status">Primary</span>
                  ) : (
                    <button type="button" onClick={() => void unlink(identity.provider, identity.user_id)}>
                      Unlink {identity.provider}|{identity.user_id}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <FailureAlert failure={failure} />
      {connections.length > 0 ? (
        <>
          <h3>Link another account</h3>
          <p className="status">
            You sign in with the other account on the next page; it then becomes part of this one. Its own sessions end, the one this
            browser has just started too, so other applications will ask you to sign in again; this page stays open as you.
          </p>
          <div className="actions">
            {connections.map((connection) => (
              <button key={connection.name} type="button" onClick={() => onLink(connection.name)}>
                Link an account from {connection.name}
              </button>
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}
