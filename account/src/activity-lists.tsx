/**
 * Where the person is signed in: their sessions (each with the applications it served) and the
 * applications they granted access, each of which they can end or revoke.
 */
import { useCallback, useEffect, useState } from 'react';
import { FailureAlert } from '../../console/src/failure-alert.js';
import { shownTime as when } from '../../console/src/shown-time.js';
import type { Me, PartProps } from './account.js';
import { useAttempt } from './attempt.js';

export function ActivityLists({ api, refused }: PartProps) {
  const [sessions, setSessions] = useState<Me['sessions'] | undefined>();
  const [applications, setApplications] = useState<Me['applications'] | undefined>();
  const { failure, attempt } = useAttempt(refused);

  const load = useCallback(async () => {
    const lists = await attempt(() => Promise.all([api.me.sessions.query(), api.me.applications.query()]));
    if (!lists) return;
    setSessions(lists[0]);
    setApplications(lists[1]);
  }, [api, attempt]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (call: () => Promise<object>) => {
    if (await attempt(call)) await load();
  };

  return (
    <>
      <FailureAlert failure={failure} />
      <section id="sessions" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        <div className="table-scroll">
          <table className="sessions">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Expires</th>
                <th scope="col">Applications</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(sessions ?? []).map((session) => (
                <tr key={session.id}>
                  <td>{when(session.created_at)}</td>
                  <td>{when(session.expires_at)}</td>
                  <td>{session.applications.map((application) => application.name).join(', ') || '—'}</td>
                  <td>
                    <button type="button" onClick={() => void act(() => api.me.endSession.mutate({ id: session.id }))}>
                      End session
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section id="applications" aria-labelledby="applications-heading">
        <h2 id="applications-heading">Applications</h2>
        <div className="table-scroll">
          <table className="applications">
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Access</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(applications ?? []).map((application) => (
                <tr key={application.client_id}>
                  <td>{application.name}</td>
                  <td>{application.scopes.join(' ')}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void act(() => api.me.revokeApplication.mutate({ client_id: application.client_id }))}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
