/**
 * The messages Tessera sent a user, from users.mail: kind, whether it went out, attempts and
 * the last error of a send that failed, so an operator sees a verification or reset that never
 * arrived. The bodies (live links) are never shown, nor kept once delivered.
 */
import { useCallback } from 'react';
import type { Api } from '../api.js';
import { useRevisionedRead } from '../revisioned-read.js';
import { shownTime as when } from '../shown-time.js';

interface Props {
  api: Api;
  userId: string;
  /** Bumped by the user's page when the user changed, since a change may have queued a message. */
  revision: number;
  refuse: (error: unknown) => void;
}

export function UserMail({ api, userId, revision, refuse }: Props) {
  const read = useCallback(() => api.users.mail.query({ id: userId }), [api, userId]);
  const [messages, load] = useRevisionedRead(read, revision, refuse);

  return (
    <section aria-labelledby="mail-heading">
      <h2 id="mail-heading">Mail</h2>
      {messages === undefined ? <p className="status">Loading…</p> : null}
      {messages?.length === 0 ? <p className="status">No messages sent to this user.</p> : null}
      {messages?.length ? (
        <div className="table-scroll">
          <table className="mail">
            <thead>
              <tr>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Queued</th>
                <th scope="col">Sent</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr key={message.id} data-status={message.status}>
                  <td>{message.kind}</td>
                  <td className={message.status === 'failed' ? 'error' : undefined}>{message.status}</td>
                  <td>{message.attempts}</td>
                  <td>{message.last_error ?? '—'}</td>
                  <td>{when(message.created_at)}</td>
                  <td>{when(message.sent_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="actions">
        <button type="button" onClick={() => void load()}>
          Refresh mail
        </button>
      </div>
    </section>
  );
}
