/**
 * The messages Tessera sent a user, from users.mail: kind, whether it went out, attempts and
 * the last error of a send that failed, so an operator sees a verification or reset that never
 * arrived. The bodies (live links) are never shown, nor kept once delivered.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useState } from 'react';
import type { AppRouter } from '../../../trpc/index.js';
import type { Api } from '../api.js';

type Message = inferRouterOutputs<AppRouter>['users']['mail'][number];

interface Props {
  api: Api;
  userId: string;
  /** Bumped by the user's page when the user changed, since a change may have queued a message. */
  revision: number;
  refuse: (error: unknown) => void;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function UserMail({ api, userId, revision, refuse }: Props) {
  const [messages, setMessages] = useState<readonly Message[] | undefined>();

  const load = useCallback(async () => {
    try {
      setMessages(await api.users.mail.query({ id: userId }));
    } catch (error) {
      refuse(error);
    }
  }, [api, userId, refuse]);

  // `revision` is only the cue to read again: the effect needs no value of it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a dependency the effect rightly does not read
  useEffect(() => {
    void load();
  }, [load, revision]);

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
